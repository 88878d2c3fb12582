package multinode

import (
	"fmt"
	"math/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/web/service"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// journal reads a node's traffic journal from disk.
func (n *node) journal(t testing.TB) (service.TrafficTotals, int) {
	t.Helper()
	store := service.NewTrafficPendingStore(filepath.Join(n.dir, "traffic-pending.json"))
	collected, err := store.Collected()
	if err != nil {
		t.Fatal(err)
	}
	pending, _, _ := store.Stats()
	return collected, pending
}

// download moves n bytes through socks and returns them.
func download(t testing.TB, socks, payload string, n int64) int64 {
	t.Helper()
	got, err := xraytest.Download(socks, fmt.Sprintf("%s/bytes?n=%d", payload, n))
	if err != nil || got != n {
		t.Fatalf("download %d bytes: got %d, %v", n, got, err)
	}
	return got
}

// TestTrafficExactlyOnceAcrossKillsAndOutage: a master and a worker carry
// traffic; the worker is SIGKILLed repeatedly while it flushes, and
// MariaDB is away for several flush intervals. Afterwards the shared
// counters equal what the nodes' journals recorded, byte for byte, and the
// bytes the test clients moved within 2%.
func TestTrafficExactlyOnceAcrossKillsAndOutage(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database and x-ui processes
	c := newCluster(t, 1, nodeOptions{syncSeconds: 2, flushSeconds: 1})
	w := c.workers[0]
	viaMaster := vlessClient("via-master@traffic", nil)
	viaWorker := vlessClient("via-worker@traffic", nil)
	c.addVLESSInbound(inboundPort, viaMaster, viaWorker)
	mPayload, wPayload := payloadOn(t, c.master.host), payloadOn(t, w.host)
	mSocks := proxyVia(t, c.master.host, inboundPort, viaMaster)
	wSocks := proxyVia(t, w.host, inboundPort, viaWorker)
	if !waitFor(15*time.Second, func() bool {
		return canDownload(mSocks, mPayload+"/bytes?n=1") && canDownload(wSocks, wPayload+"/bytes?n=1")
	}) {
		t.Fatal("nodes never served the inbound")
	}
	var moved int64 = 2 // the two 1-byte probes above
	moved += download(t, mSocks, mPayload, 6<<20)
	viaWorkerBytes := download(t, wSocks, wPayload, 6<<20)

	// Kill the worker mid-flush, repeatedly. Each round first waits until
	// the worker's journal holds everything it carried so far (Xray dies
	// with the panel, so bytes it had not yet reported would die with it;
	// the journal also counts HTTP headers, so it ends up slightly above).
	rng := rand.New(rand.NewSource(3))
	for round := 0; round < 4; round++ {
		viaWorkerBytes += download(t, wSocks, wPayload, 3<<20)
		if !waitFor(10*time.Second, func() bool {
			now, _ := w.journal(t)
			return now.Down >= viaWorkerBytes
		}) {
			t.Fatalf("round %d: worker never journaled the download", round)
		}
		time.Sleep(time.Duration(rng.Intn(1000)) * time.Millisecond)
		w.kill()
		w.start(c)
		if !waitFor(15*time.Second, func() bool { return canDownload(wSocks, wPayload+"/bytes?n=1") }) {
			t.Fatalf("round %d: worker did not serve after restart", round)
		}
		viaWorkerBytes++ // the probe
	}
	moved += viaWorkerBytes

	// MariaDB away for several flush intervals while both nodes carry on.
	c.master.proxy.Cut()
	w.proxy.Cut()
	moved += download(t, mSocks, mPayload, 4<<20)
	moved += download(t, wSocks, wPayload, 4<<20)
	time.Sleep(5 * time.Second)
	if err := c.master.proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	if err := w.proxy.Restore(); err != nil {
		t.Fatal(err)
	}

	// Stop both nodes: each drains Xray into its journal and flushes.
	for _, n := range []*node{w, c.master} {
		n.stop()
	}
	var journaled service.TrafficTotals
	for _, n := range []*node{c.master, w} {
		collected, pending := n.journal(t)
		if pending != 0 {
			t.Fatalf("%s still has %d unflushed deltas after a graceful stop", n.name, pending)
		}
		var perNode model.NodeClientTraffic
		c.conn.Model(&model.NodeClientTraffic{}).Where("node_id = ?", n.name).
			Select("COALESCE(SUM(up),0) AS up, COALESCE(SUM(down),0) AS down").Scan(&perNode)
		if perNode.Up != collected.Up || perNode.Down != collected.Down {
			t.Fatalf("%s: node_client_traffics %d/%d != journal %d/%d", n.name, perNode.Up, perNode.Down, collected.Up, collected.Down)
		}
		journaled.Up += collected.Up
		journaled.Down += collected.Down
	}
	var db service.TrafficTotals
	c.conn.Model(&xray.ClientTraffic{}).Select("COALESCE(SUM(up),0) AS up, COALESCE(SUM(down),0) AS down").Scan(&db)
	if db != journaled {
		t.Fatalf("shared counters %+v != journals %+v", db, journaled)
	}
	diff := float64(db.Down-moved) / float64(moved) * 100
	t.Logf("moved %d bytes; journals and database both hold down=%d up=%d (%.3f%% from moved)", moved, db.Down, db.Up, diff)
	if diff < -2 || diff > 2 {
		t.Fatalf("database down %d is more than 2%% from the %d bytes moved", db.Down, moved)
	}
}
