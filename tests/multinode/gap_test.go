package multinode

import (
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// TestWorkerBehindAGapLoadsFullSnapshot: a running worker follows single
// changes through the change log alone; a worker whose panel was down
// while the log it needs was pruned cannot bridge the gap from its cached
// snapshot, so it reads the full snapshot once, serves the new clients,
// and goes back to the log for the next change.
func TestWorkerBehindAGapLoadsFullSnapshot(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database and x-ui processes
	s := newServedWorker(t, "gap-base@mn")
	c, w := s.cluster, s.w
	syncs := func() (full, delta int64) {
		var st model.NodeState
		if err := c.conn.Where("node_id = ?", w.name).First(&st).Error; err != nil {
			t.Fatal(err)
		}
		return st.FullSyncs, st.DeltaSyncs
	}
	served := func(email string) {
		t.Helper()
		client := vlessClient(email, nil)
		socks := proxyVia(t, w.host, inboundPort, client)
		c.addClient(s.inboundID, client)
		if !waitFor(20*time.Second, func() bool { return canDownload(socks, s.payload+"/bytes?n=1024") }) {
			t.Fatalf("%s never reached the worker", email)
		}
	}

	fullBefore, _ := syncs()
	served("gap-live@mn")
	if !waitFor(10*time.Second, func() bool { _, d := syncs(); return d > 0 }) {
		t.Fatal("a single client change was not synced from the change log")
	}
	if full, _ := syncs(); full != fullBefore {
		t.Fatalf("a single change read the full snapshot (%d -> %d full syncs)", fullBefore, full)
	}

	w.stop()
	missed := vlessClient("gap-missed@mn", nil)
	c.addClient(s.inboundID, missed)
	c.addClient(s.inboundID, vlessClient("gap-missed2@mn", nil))
	if err := c.conn.Exec("DELETE FROM shared_changes").Error; err != nil { // as if pruned
		t.Fatal(err)
	}
	w.start(c)
	socks := proxyVia(t, w.host, inboundPort, missed)
	if !waitFor(20*time.Second, func() bool { return canDownload(socks, s.payload+"/bytes?n=1024") }) {
		t.Fatal("the restarted worker never served a client added while it was down")
	}
	if !waitFor(10*time.Second, func() bool { f, _ := syncs(); return f >= 1 }) {
		full, delta := syncs()
		t.Fatalf("behind a gap the worker must read the full snapshot: %d full, %d delta syncs", full, delta)
	}
	full, _ := syncs()
	served("gap-after@mn")
	if !waitFor(10*time.Second, func() bool { _, d := syncs(); return d > 0 }) {
		t.Fatal("after the full reload the next change was not synced from the log")
	}
	if f, _ := syncs(); f != full {
		t.Fatalf("the change after the gap read the full snapshot again (%d -> %d)", full, f)
	}
}
