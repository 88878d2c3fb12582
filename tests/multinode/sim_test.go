package multinode

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/web/service"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// TestClusterSimulation is scenario 6: one real master process (own
// namespace, real Xray, real MariaDB) and N simulated workers in this
// process, each running the panel's real sync, heartbeat, push receiver
// and flush code under its own node id against the same MariaDB, with
// Xray replaced by a recorder of the operations it would get. Production
// intervals in bench mode (sync 30 s, flush 10 s). Per N it measures DB statements and
// bytes per second at idle, per client change and with traffic, master
// CPU, and propagation (master API call to every recorder answering).
// Verdicts: every worker converges on every change without an Xray
// restart, and after the last flush every worker's journal equals its
// node_client_traffics rows and the journals sum to client_traffics.
//
// make test: N = 10 with short windows. make bench-cluster: N = 10, 100, 500.
func TestClusterSimulation(t *testing.T) {
	// Sequential: its fleet uses the process database and XUI_DB_FOLDER.
	// make test: shorter intervals so the loops are all running (random
	// start offsets within one interval) before the short idle window ends.
	sizes, idle, changes, trafficFor := []int{10}, 10*time.Second, 8, 12*time.Second
	syncEvery, flushEvery := 10*time.Second, 5*time.Second
	if benchMode() {
		sizes, idle, changes, trafficFor = []int{10, 100, 500}, 60*time.Second, 20, 30*time.Second
		syncEvery, flushEvery = 30*time.Second, 10*time.Second
	}
	const (
		inbounds, perInbound = 4, 50
		trafficClients       = 20
		poolSize             = 64
	)
	c := newCluster(t, 0, nodeOptions{syncSeconds: int(syncEvery / time.Second), flushSeconds: int(flushEvery / time.Second)})
	ids, emails := c.addVLESSInbounds(inboundPort, inbounds, perInbound, "s%02d-%03d@sim")
	proxy := openFleetDB(t, c, poolSize)
	masterPid := c.master.cmd.Process.Pid
	rng := rand.New(rand.NewSource(6))
	var results []simResult
	for _, n := range sizes {
		res := simResult{Nodes: n, Clients: inbounds * perInbound, SyncSeconds: int(syncEvery / time.Second),
			FlushSeconds: int(flushEvery / time.Second), ChangeCount: changes, TrafficClients: trafficClients}
		before := dbClientTotals(t, c)
		start := time.Now()
		f := startFleet(t, c, fmt.Sprintf("sim%d", n), n, fleetOptions{syncEvery: syncEvery, flushEvery: flushEvery, startConcurrency: 16})
		res.StartupSeconds = time.Since(start).Seconds()
		// Let the first push-free interval pass so every loop is in its stride.
		time.Sleep(2 * time.Second)

		w := openWindow(t, c.conn, masterPid, proxy, c.master.proxy)
		time.Sleep(idle)
		res.Idle = w.close()
		f.waitStarted()

		ch := &churn{c: c, prefix: fmt.Sprintf("sim%d-", n), inbounds: ids}
		var lat []time.Duration
		w = openWindow(t, c.conn, masterPid, proxy, c.master.proxy)
		for k := 0; k < changes; k++ {
			next := ch.next()
			since := time.Now()
			next.do()
			got, err := f.waitAnswer(next.client["email"].(string), next.want, since, time.Now(), 2*syncEvery+10*time.Second)
			if err != nil {
				t.Fatalf("N=%d change %d (%s): %v", n, k, next.kind, err)
			}
			lat = append(lat, got...)
			if slow := slices.Max(got); slow > time.Second {
				t.Logf("N=%d change %d (%s %s): slowest worker %v", n, k, next.kind, next.client["email"], slow.Round(time.Millisecond))
			}
		}
		res.Changes = w.close()
		res.Propagation = summarize(lat, n == sizes[len(sizes)-1] || !benchMode())
		above := func(total int64, rate float64) float64 {
			return (float64(total) - rate*res.Changes.Seconds) / float64(changes)
		}
		res.StatementsPerChange = above(res.Changes.Statements, res.Idle.StatementsPerSec)
		res.BytesPerChange = above(res.Changes.BytesToDB+res.Changes.BytesFromDB, res.Idle.BytesPerSec)
		res.MasterCPUPerChange = 1000 * (res.Changes.MasterCPUSeconds - res.Idle.MasterCPUSeconds/res.Idle.Seconds*res.Changes.Seconds) / float64(changes)

		w = openWindow(t, c.conn, masterPid, proxy, c.master.proxy)
		for end := time.Now().Add(trafficFor); time.Now().Before(end); time.Sleep(flushEvery) {
			if err := f.collect(rng, emails, trafficClients); err != nil {
				t.Fatal(err)
			}
		}
		res.Traffic = w.close()

		f.stop()
		var applies int
		var applyDur time.Duration
		for _, sw := range f.workers {
			restarts, _, a, d := sw.rec.stats()
			res.Restarts += restarts - 1
			applies += a
			applyDur += d
		}
		res.ApplyMs = float64(applyDur.Microseconds()) / 1000 / float64(max(applies, 1))
		after := dbClientTotals(t, c)
		perNode := nodeTotals(t, c)
		delta := service.TrafficTotals{Up: after.Up - before.Up, Down: after.Down - before.Down}
		if err := f.checkExactlyOnce(func(id string) (service.TrafficTotals, error) { return perNode[id], nil }, delta); err != nil {
			t.Fatalf("N=%d: %v", n, err)
		}
		if res.Restarts != 0 {
			t.Fatalf("N=%d: the recorders saw %d Xray restarts after the first start; client changes must be live", n, res.Restarts)
		}
		results = append(results, res)
		t.Logf("N=%d: idle %.1f stmt/s %.0f B/s; per change %.1f stmt %.0f B, master %.1f ms CPU; propagation p50 %.0f ms p95 %.0f ms max %.0f ms; traffic %.1f stmt/s",
			n, res.Idle.StatementsPerSec, res.Idle.BytesPerSec, res.StatementsPerChange, res.BytesPerChange, res.MasterCPUPerChange,
			res.Propagation.P50ms, res.Propagation.P95ms, res.Propagation.MaxMs, res.Traffic.StatementsPerSec)
	}
	writeResult(t, "simulation", results)
}

// dbClientTotals sums client_traffics.
func dbClientTotals(t testing.TB, c *cluster) service.TrafficTotals {
	t.Helper()
	var sum service.TrafficTotals
	if err := c.conn.Model(&xray.ClientTraffic{}).Select("COALESCE(SUM(up),0) AS up, COALESCE(SUM(down),0) AS down").Scan(&sum).Error; err != nil {
		t.Fatal(err)
	}
	return sum
}

// nodeTotals sums node_client_traffics per node.
func nodeTotals(t testing.TB, c *cluster) map[string]service.TrafficTotals {
	t.Helper()
	var rows []struct {
		NodeID   string
		Up, Down int64
	}
	if err := c.conn.Table("node_client_traffics").Select("node_id, COALESCE(SUM(up),0) AS up, COALESCE(SUM(down),0) AS down").
		Group("node_id").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]service.TrafficTotals{}
	for _, r := range rows {
		out[r.NodeID] = service.TrafficTotals{Up: r.Up, Down: r.Down}
	}
	return out
}
