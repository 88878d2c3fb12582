package app

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// stopsMoving: the client's downloads through Xray fail (its inbound or
// its user is gone from the running Xray).
func stopsMoving(socks, payload string) bool {
	return xraytest.Eventually(10*time.Second, func() bool {
		n, err := xraytest.DownloadWithin(socks, payload+"/bytes?n=65536", 2*time.Second)
		return err != nil || n != 65536
	})
}

// The v3 inbound writes reach the running Xray live, without a restart:
// setEnable false takes the inbound out and true brings it back,
// delAllClients cuts its clients, bulkDel removes it; another inbound
// keeps serving throughout.
func TestV3InboundWritesReachXray(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		s := newServingEnv(t, b) // inbound s.inID, client alive@x moving bytes
		keeper := vlessClient("keeper@x")
		kPort := xraytest.FreePort(t)
		s.c.api("POST", "inbounds/add", v3Inbound(kPort, keeper)).expectOK()
		kSocks, _ := xraytest.StartClient(t, xraytest.VLESSOutbound(kPort, keeper["id"].(string), ""), "")
		keeps := func(step string) {
			t.Helper()
			ok := xraytest.Eventually(10*time.Second, func() bool {
				n, err := xraytest.DownloadWithin(kSocks, s.payload+"/bytes?n=65536", 5*time.Second)
				return err == nil && n == 65536
			})
			if !ok {
				t.Fatalf("after %s the other inbound's client moves no bytes", step)
			}
		}
		keeps("adding it")
		restarts := s.app.Xray.Restarts()

		s.c.api("POST", "inbounds/setEnable/"+s.inID, map[string]any{"enable": false}).expectOK()
		if !stopsMoving(s.socks, s.payload) {
			t.Fatal("a disabled inbound still serves")
		}
		keeps("setEnable false")
		s.c.api("POST", "inbounds/setEnable/"+s.inID, map[string]any{"enable": true}).expectOK()
		s.mustMoveBytes(t)
		keeps("setEnable true")

		// The serving client's settings entry, to put it back afterwards.
		full := s.c.api("GET", "inbounds/get/"+s.inID, nil).expectOK().obj()
		alive := mustJSON(map[string]any{"clients": []any{clientOf(t, full["settings"].(string), "alive@x")}})
		r := s.c.api("POST", "inbounds/"+s.inID+"/delAllClients", nil).expectOK()
		if mustJSON(r.Msg.Obj) != `{"deleted":1}` {
			t.Fatalf("delAllClients: %s", r.Raw)
		}
		if !stopsMoving(s.socks, s.payload) {
			t.Fatal("a deleted client still moves bytes")
		}
		keeps("delAllClients")
		s.c.api("POST", "inbounds/addClient", map[string]any{"id": atoi(s.inID), "settings": alive}).expectOK()
		s.mustMoveBytes(t)

		spare := s.c.api("POST", "inbounds/add", v3Inbound(xraytest.FreePort(t), vlessClient("spare@x"))).expectOK().obj()
		r = s.c.api("POST", "inbounds/bulkDel", map[string]any{"ids": []any{atoi(s.inID), spare["id"]}}).expectOK()
		if mustJSON(r.Msg.Obj) != `{"deleted":2}` {
			t.Fatalf("bulkDel: %s", r.Raw)
		}
		s.c.api("GET", "inbounds/get/"+s.inID, nil).expectFail(http.StatusNotFound, "id")
		if !stopsMoving(s.socks, s.payload) {
			t.Fatal("a deleted inbound still serves")
		}
		keeps("bulkDel")
		if got := s.app.Xray.Restarts(); got != restarts || !s.app.Xray.IsXrayRunning() {
			t.Fatalf("Xray restarted %d times (running %v); the writes must apply live", got-restarts, s.app.Xray.IsXrayRunning())
		}
	})
}

// clientOf is the client with email in an inbound's settings JSON.
func clientOf(t *testing.T, settings, email string) map[string]any {
	t.Helper()
	var doc struct {
		Clients []map[string]any `json:"clients"`
	}
	if err := json.Unmarshal([]byte(settings), &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Clients {
		if c["email"] == email {
			return c
		}
	}
	t.Fatalf("no client %s in %s", email, settings)
	return nil
}

// Every v3 inbound write is refused on a worker (403 naming the master's
// role) and changes nothing; its reads work there.
func TestV3InboundWritesRefusedOnWorker(t *testing.T) {
	t.Parallel() // own database and Apps, nothing process-wide
	master, worker := masterAndWorker(t)
	mc := master.loggedIn()
	id := itoa(int(mc.api("POST", "inbounds/add", v3Inbound(hostPort(36001), vlessClient("w@x"))).expectOK().obj()["id"].(float64)))
	wc := worker.loggedIn()
	before := master.dbState(t)
	for _, w := range []struct {
		path string
		body any
	}{
		{"inbounds/setEnable/" + id, map[string]any{"enable": false}},
		{"inbounds/" + id + "/resetTraffic", nil},
		{"inbounds/" + id + "/delAllClients", nil},
		{"inbounds/bulkDel", map[string]any{"ids": []any{atoi(id)}}},
		{"inbounds/import", map[string]any{"data": v3Inbound(hostPort(36002), vlessClient("w2@x"))}},
		{"inbounds/add", v3Inbound(hostPort(36003), vlessClient("w3@x"))},
	} {
		wc.api("POST", w.path, w.body).expectFail(http.StatusForbidden, "master")
	}
	if master.dbState(t) != before {
		t.Fatal("a write refused on the worker changed the database")
	}
	if got := wc.api("GET", "inbounds/list/slim", nil).expectOK().Msg.Obj.([]any); len(got) != 1 {
		t.Fatalf("worker list/slim: %v", got)
	}
	if got := wc.api("GET", "inbounds/options", nil).expectOK().Msg.Obj.([]any); len(got) != 1 {
		t.Fatalf("worker options: %v", got)
	}
}
