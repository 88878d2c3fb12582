package multinode

import (
	"fmt"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// TestXrayOutlivesPanel: the worker's panel is SIGKILLed in the middle of
// a download through it. Xray keeps serving, the download completes, the
// restarted panel adopts the same Xray process, and after a graceful stop
// the shared counters hold the download exactly once (equal to the
// journal, within 2% of the bytes moved: headers). The master's panel is
// restarted alone (SIGUSR2) and its adopted Xray takes a new client live.
func TestXrayOutlivesPanel(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database and x-ui processes
	s := newServedWorker(t, "dl@adopt")
	c, w := s.cluster, s.w
	const size = 6 << 20
	moved := int64(1024) // the probe of newServedWorker
	stream := xraytest.StartDownload(s.socks, fmt.Sprintf("%s/slow?n=%d&rate=%d", s.payload, size, 1<<20))
	defer stream.Stop()
	if !stream.WaitBytes(512<<10, 10*time.Second) {
		t.Fatalf("download did not start: %v", stream.Err())
	}
	pid := w.xrayPid()
	w.kill()
	if w.xrayPid() != pid || !stream.Flowing(3*time.Second) {
		t.Fatalf("xray (pid %d -> %d) or the download died with the panel: %v", pid, w.xrayPid(), stream.Err())
	}
	w.start(c)
	if got := w.xrayPid(); got != pid {
		t.Fatalf("restarted panel replaced xray (pid %d -> %d) instead of adopting it", pid, got)
	}
	if !waitFor(30*time.Second, stream.Done) {
		t.Fatal("download never finished")
	}
	if got, err := stream.Stop(); err != nil || got != size {
		t.Fatalf("download across the panel kill: %d of %d bytes, %v", got, size, err)
	}
	moved += size

	// The master: panel-only restart, then a change applied live.
	mPid := c.master.xrayPid()
	c.master.handoff()
	if c.master.xrayPid() != mPid || mPid == 0 {
		t.Fatalf("master xray did not survive a panel restart (pid %d -> %d)", mPid, c.master.xrayPid())
	}
	c.master.start(c)
	c.api = login(t, c.master.panelURL())
	late := vlessClient("late@adopt", nil)
	c.addClient(s.inboundID, late)
	lateSocks := proxyVia(t, c.master.host, inboundPort, late)
	mPayload := payloadOn(t, c.master.host)
	if !waitFor(15*time.Second, func() bool { return canDownload(lateSocks, mPayload+"/bytes?n=1") }) {
		t.Fatal("adopted master xray never got the new client")
	}
	if got := c.master.xrayPid(); got != mPid {
		t.Fatalf("master xray restarted after adoption (pid %d -> %d)", mPid, got)
	}

	// Explicit stop (x-ui stop): drain + flush, and Xray stops too.
	w.stop()
	if w.xrayPid() != 0 {
		t.Fatal("worker xray outlived a graceful stop")
	}
	collected, pending := w.journal(t)
	var db xray.ClientTraffic
	c.conn.Model(&xray.ClientTraffic{}).Where("email = ?", "dl@adopt").Scan(&db)
	var perNode model.NodeClientTraffic
	c.conn.Model(&model.NodeClientTraffic{}).Where("node_id = ? AND email = ?", w.name, "dl@adopt").Scan(&perNode)
	if pending != 0 || perNode.Down != collected.Down || db.Down != collected.Down {
		t.Fatalf("pending %d, node_client_traffics down %d, client_traffics down %d, journal down %d: want all equal",
			pending, perNode.Down, db.Down, collected.Down)
	}
	diff := float64(db.Down-moved) / float64(moved) * 100
	t.Logf("moved %d bytes through the worker across a panel SIGKILL; counted down=%d (%.3f%%)", moved, db.Down, diff)
	if diff < 0 || diff > 2 {
		t.Fatalf("counted %d bytes for %d moved: lost or counted twice", db.Down, moved)
	}
}
