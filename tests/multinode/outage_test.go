package multinode

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// TestWorkerServesThroughDatabaseOutage: with MariaDB unreachable the
// worker keeps proxying, survives a restart of its own panel process (cold
// start from shared-cache.json), and catches up with the changes the
// master made while the worker could not reach the database.
func TestWorkerServesThroughDatabaseOutage(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database and x-ui processes
	s := newServedWorker(t, "base@outage")
	c, w, payload, base, inboundID, socks := s.cluster, s.w, s.payload, s.base, s.inboundID, s.socks
	if _, err := os.Stat(filepath.Join(w.dir, "shared-cache.json")); err != nil {
		t.Fatalf("worker has no snapshot cache: %v", err)
	}

	// MariaDB goes away for everyone.
	c.master.proxy.Cut()
	w.proxy.Cut()
	stream := xraytest.StartDownload(socks, fmt.Sprintf("%s/slow?n=%d&rate=%d", payload, 1<<30, 256<<10))
	if !stream.WaitBytes(64<<10, 10*time.Second) || !stream.Flowing(3*time.Second) {
		t.Fatalf("worker stopped proxying when the database went away: %v", stream.Err())
	}
	stream.Stop()

	// The worker's panel restarts with the database still away.
	w.stop()
	if w.xrayPid() != 0 {
		t.Fatal("worker xray outlived its panel")
	}
	w.start(c)
	if !waitFor(15*time.Second, func() bool { return canDownload(socks, payload+"/bytes?n=1024") }) {
		w.dumpLog()
		t.Fatal("worker did not serve from its cache after a cold start without the database")
	}
	if got, err := xraytest.Download(socks, fmt.Sprintf("%s/bytes?n=%d", payload, 4<<20)); err != nil || got != 4<<20 {
		t.Fatalf("download through the cold-started worker: %d bytes, %v", got, err)
	}

	// The database comes back for the master first; it makes changes the
	// worker cannot see yet.
	if err := c.master.proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	newcomer := vlessClient("newcomer@outage", nil)
	newSocks := proxyVia(t, w.host, inboundPort, newcomer)
	var addErr error
	if !waitFor(20*time.Second, func() bool {
		status, env := c.api.call("POST", "inbounds/addClient", map[string]any{"id": inboundID, "settings": `{"clients":[` + mustJSON(newcomer) + `]}`})
		addErr = fmt.Errorf("%d %s", status, env.Msg)
		return status == 200 && env.Success
	}) {
		t.Fatalf("master could not write after the database came back: %v", addErr)
	}
	base["enable"] = false
	c.updateClient(inboundID, base)
	time.Sleep(3 * time.Second) // more than a sync interval: the worker must not have changed
	if canDownload(newSocks, payload+"/bytes?n=1024") || !canDownload(socks, payload+"/bytes?n=1024") {
		t.Fatal("worker changed while it could not reach the database")
	}

	// Then for the worker: it catches up.
	if err := w.proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	if !waitFor(20*time.Second, func() bool {
		return canDownload(newSocks, payload+"/bytes?n=1024") && !canDownload(socks, payload+"/bytes?n=1024")
	}) {
		w.dumpLog()
		t.Fatal("worker did not catch up with the changes made during the outage")
	}
}
