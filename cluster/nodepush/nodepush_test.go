package nodepush

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// TestPushRoundTrip: the master's secret is created once and shared; a
// pusher wakes exactly the live, lagging workers that have a push URL; the
// receiver refuses a wrong secret without waking.
func TestPushRoundTrip(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		dbtest.UseBackend(t, b)
		if err := database.InitDBWithPath(b.SQLitePath); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { database.CloseDB() })
		conn := database.GetDB()
		first, err := EnsureSecret(conn)
		if err != nil || len(first) != 64 {
			t.Fatalf("secret %q: %v", first, err)
		}
		if again, _ := EnsureSecret(conn); again != first {
			t.Fatal("EnsureSecret replaced the existing secret")
		}

		var woken atomic.Int32
		recv := NewReceiver(database.Process(), func() { woken.Add(1) })
		srv := httptest.NewServer(http.StripPrefix("/x", recv))
		defer srv.Close()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/x/"+Path, strings.NewReader(`{}`))
		req.Header.Set(Header, "wrong")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || woken.Load() != 0 {
			t.Fatalf("wrong secret: HTTP %d, woken %d", resp.StatusCode, woken.Load())
		}

		if err := database.BumpSharedAccountsVersion(conn); err != nil {
			t.Fatal(err)
		}
		now := time.Now().Unix()
		rows := []model.NodeState{
			{NodeID: "live", NodeRole: "worker", PushURL: srv.URL + "/x/", LastHeartbeatAt: now},
			{NodeID: "dead", NodeRole: "worker", PushURL: srv.URL + "/x/", LastHeartbeatAt: now - 3600},
			{NodeID: "current", NodeRole: "worker", PushURL: srv.URL + "/x/", LastHeartbeatAt: now, LastSeenVersion: 1 << 40},
			{NodeID: "pollonly", NodeRole: "worker", LastHeartbeatAt: now},
		}
		for i := range rows {
			if err := cluster.SignNodeState(&rows[i]); err != nil {
				t.Fatal(err)
			}
			if err := database.UpsertNodeState(conn, &rows[i]); err != nil {
				t.Fatal(err)
			}
		}
		p := NewPusher(time.Minute)
		p.PushOnce(context.Background())
		if woken.Load() != 1 || p.Sent.Load() != 1 || p.Failed.Load() != 0 {
			t.Fatalf("woken %d sent %d failed %d; want exactly the live lagging worker", woken.Load(), p.Sent.Load(), p.Failed.Load())
		}
		srv.Close()
		p.PushOnce(context.Background())
		if p.Failed.Load() != 1 || p.LastError("live") == "" {
			t.Fatalf("unreachable worker: failed %d, last error %q", p.Failed.Load(), p.LastError("live"))
		}
	})
}
