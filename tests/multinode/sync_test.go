package multinode

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

const inboundPort = 24443

// TestWorkerFollowsMasterLive: clients added on the master reach the
// worker's Xray within about one sync interval, 50 changes on the master
// never restart the worker's Xray nor stop a download through it, and a
// write sent to the worker is refused with the master's address.
func TestWorkerFollowsMasterLive(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database and x-ui processes
	s := newServedWorker(t, "base@mn")
	c, w, payload, inboundID, baseSocks := s.cluster, s.w, s.payload, s.inboundID, s.socks
	stream := xraytest.StartDownload(baseSocks, fmt.Sprintf("%s/slow?n=%d&rate=%d", payload, 1<<30, 256<<10))
	defer stream.Stop()
	if !stream.WaitBytes(64<<10, 10*time.Second) {
		t.Fatalf("stream through the worker did not start: %v", stream.Err())
	}
	pid := w.xrayPid()
	if pid == 0 {
		t.Fatal("worker xray not found")
	}

	// Propagation latency of a new client, measured several times.
	var worst time.Duration
	for i := 0; i < 3; i++ {
		client := vlessClient(fmt.Sprintf("latency%d@mn", i), nil)
		socks := proxyVia(t, w.host, inboundPort, client)
		start := time.Now()
		c.addClient(inboundID, client)
		if !waitFor(20*time.Second, func() bool { return canDownload(socks, payload+"/bytes?n=1024") }) {
			t.Fatalf("client %d never reached the worker", i)
		}
		worst = max(worst, time.Since(start))
	}
	t.Logf("new client accepted by the worker after at most %v (syncInterval 2s)", worst.Round(10*time.Millisecond))

	// 50 changes on the master: adds, updates, disables and deletes.
	var live []map[string]any
	for i := 0; i < 50; i++ {
		switch {
		case i%5 == 4 && len(live) > 0: // delete
			victim := live[0]
			live = live[1:]
			c.api.mustOK(http.MethodPost, fmt.Sprintf("inbounds/%d/delClient/%s", inboundID, victim["id"]), nil)
		case i%5 == 3 && len(live) > 0: // disable
			live[len(live)-1]["enable"] = false
			c.updateClient(inboundID, live[len(live)-1])
		default:
			client := vlessClient(fmt.Sprintf("churn%d@mn", i), nil)
			c.addClient(inboundID, client)
			live = append(live, client)
		}
		if i%10 == 9 && !stream.Flowing(3*time.Second) {
			t.Fatalf("download through the worker stopped after change %d: %v", i+1, stream.Err())
		}
	}
	last := vlessClient("last@mn", nil)
	lastSocks := proxyVia(t, w.host, inboundPort, last)
	c.addClient(inboundID, last)
	if !waitFor(20*time.Second, func() bool { return canDownload(lastSocks, payload+"/bytes?n=1024") }) {
		t.Fatal("the worker did not catch up after 50 changes")
	}
	if got := w.xrayPid(); got != pid {
		t.Fatalf("worker xray restarted during client changes (pid %d -> %d)", pid, got)
	}
	if !stream.Flowing(3 * time.Second) {
		t.Fatalf("download through the worker stopped: %v", stream.Err())
	}
	t.Logf("download through the worker kept flowing: %d bytes across 50 changes", stream.Bytes())

	// A write sent to the worker is refused and changes nothing.
	before, _ := database.GetSharedAccountsVersion(c.conn)
	workerAPI := login(t, w.panelURL())
	status, env := workerAPI.call(http.MethodPost, "inbounds/addClient", map[string]any{
		"id": inboundID, "settings": `{"clients":[{"id":"` + xraytest.NewUUID() + `","email":"sneaky@mn","enable":true}]}`})
	if status != http.StatusForbidden || !strings.Contains(env.Msg, c.master.host.nsIP) {
		t.Fatalf("worker write: status %d msg %q, want 403 naming %s", status, env.Msg, c.master.host.nsIP)
	}
	after, _ := database.GetSharedAccountsVersion(c.conn)
	var sneaky int64
	c.conn.Table("client_traffics").Where("email = ?", "sneaky@mn").Count(&sneaky)
	if after != before || sneaky != 0 {
		t.Fatalf("refused write changed the database: version %d -> %d, rows %d", before, after, sneaky)
	}
}

// updateClient replaces a client (found by its id) on the master.
func (c *cluster) updateClient(inboundID int, client map[string]any) {
	c.t.Helper()
	settings := fmt.Sprintf(`{"clients":[%s]}`, mustJSON(client))
	c.api.mustOK(http.MethodPost, "inbounds/updateClient/"+client["id"].(string), map[string]any{"id": inboundID, "settings": settings})
}
