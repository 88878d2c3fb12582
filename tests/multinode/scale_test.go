package multinode

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/web/service"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// BenchmarkClusterScale is scenario 5: 20,000 clients over 20 inbounds, a
// master and 4 workers (real processes, own namespaces, real Xray),
// production intervals. It measures the workers' start (full sync and
// Xray start), the snapshot size, DB statements per minute and master CPU
// at idle, panel RSS and push propagation at this size; then, with one
// simulated worker in this process running the real sync and flush code,
// full and incremental sync time, apply (render + diff) time and the
// flush time of batches of 1,000 to 20,000 client deltas.
//
//	XUI_BENCH_CLUSTER=1 go test -run '^$' -bench ClusterScale -benchtime 1x -timeout 60m ./tests/multinode/
func BenchmarkClusterScale(b *testing.B) {
	// Without XUI_BENCH_CLUSTER=1 a small version checks the benchmark itself.
	inbounds, perInbound, workers, changes, idle := 2, 100, 1, 3, 10*time.Second
	if benchMode() {
		inbounds, perInbound, workers, changes, idle = 20, 1000, 4, 10, 60*time.Second
	}
	res := scaleResult{Clients: inbounds * perInbound, Inbounds: inbounds, Workers: workers,
		FlushMs: map[string]float64{}, IdleBytesPerNode: map[string]float64{}}
	opts := nodeOptions{syncSeconds: 30, flushSeconds: 10}
	c := newCluster(b, 0, opts)
	start := time.Now()
	ids, emails := c.addVLESSInbounds(inboundPort, inbounds, perInbound, "z%02d-%04d@scale")
	res.SeedSeconds = time.Since(start).Seconds()
	s := &suiteCluster{cluster: c, nodes: []*node{c.master}, payloads: map[*node]string{}}
	for i := 0; i < workers; i++ {
		start := time.Now()
		w, _ := startPushedWorker(b, c, fmt.Sprintf("w%d", i+1), opts)
		res.WorkerStartSeconds = append(res.WorkerStartSeconds, time.Since(start).Seconds())
		s.nodes = append(s.nodes, w)
		s.payloads[w] = payloadOn(b, w.host)
	}
	if info, err := os.Stat(filepath.Join(c.workers[0].dir, "shared-cache.json")); err == nil {
		res.SnapshotBytes = info.Size()
	}
	proxies := []*dbProxy{}
	for _, n := range s.nodes {
		proxies = append(proxies, n.proxy)
	}
	masterPid := c.master.cmd.Process.Pid
	time.Sleep(5 * time.Second)
	w := openWindow(b, c.conn, masterPid, proxies...)
	perNode := make([]wireSample, len(s.nodes))
	for i, n := range s.nodes {
		perNode[i] = n.proxy.sample()
	}
	time.Sleep(idle)
	res.Idle = w.close()
	for i, n := range s.nodes {
		d := n.proxy.sample().minus(perNode[i])
		res.IdleBytesPerNode[n.name] = float64(d.Up+d.Down) / res.Idle.Seconds
	}
	res.StatementsPerMin = res.Idle.StatementsPerSec * 60
	res.QuestionsPerMin = res.Idle.ServerQuestionsSec * 60
	res.MasterRSS = procRSS(masterPid)
	for _, n := range c.workers {
		res.WorkerRSS = append(res.WorkerRSS, procRSS(n.cmd.Process.Pid))
	}

	ch := &churn{c: c, prefix: "scale", inbounds: []int{ids[1]}}
	var pushed []time.Duration
	w = openWindow(b, c.conn, masterPid, proxies...)
	for k := 0; k < changes; k++ {
		pushed = append(pushed, s.propagate(b, ch.next(), 60*time.Second)...)
	}
	res.ChangeWindow = w.close()
	res.Pushed = summarize(pushed, true)

	// One simulated worker for the in-process timings.
	openFleetDB(b, c, 8)
	start = time.Now()
	f := startFleet(b, c, "scale-sim", 1, fleetOptions{syncEvery: 30 * time.Second, flushEvery: 10 * time.Second, startConcurrency: 1})
	sim := f.workers[0]
	res.FullSyncMs = float64((time.Since(start) - sim.rec.bookkeeping()).Microseconds()) / 1000
	next := ch.next()
	since := time.Now()
	next.do()
	answered := time.Now()
	if _, err := f.waitAnswer(next.client["email"].(string), next.want, since, answered, 90*time.Second); err != nil {
		b.Fatal(err)
	}
	// The push woke the sync: time one more sync by hand, from the log,
	// leaving out the recorder's own bookkeeping.
	next = ch.next()
	next.do()
	book := sim.rec.bookkeeping()
	start = time.Now()
	if err := sim.sync.SyncOnce(); err != nil {
		b.Fatal(err)
	}
	res.IncrementalSyncMs = float64((time.Since(start) - (sim.rec.bookkeeping() - book)).Microseconds()) / 1000
	_, _, applies, applyDur := sim.rec.stats()
	res.ApplyMs = float64(applyDur.Microseconds()) / 1000 / float64(max(applies, 1))

	for _, n := range []int{1000, 5000, 10000, 20000} {
		if n > len(emails) {
			break
		}
		store := service.NewTrafficPendingStore(filepath.Join(b.TempDir(), "traffic-pending.json"))
		flush := service.NewTrafficFlushServiceWith(database.Process(), store, fmt.Sprintf("flush-%d", n), false,
			service.FlushDeps{ResolveInbound: sim.sync.InboundForEmail})
		list := make([]*xray.ClientTraffic, n)
		for i := range list {
			list[i] = &xray.ClientTraffic{Email: emails[i], Up: int64(100 + i), Down: int64(1000 + i)}
		}
		if err := flush.Collect(list); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := flush.FlushOnce(); err != nil {
			b.Fatal(err)
		}
		res.FlushMs[fmt.Sprint(n)] = float64(time.Since(start).Microseconds()) / 1000
	}
	f.stop()
	if v, _ := database.GetSharedAccountsVersion(c.conn); v == 0 {
		b.Fatal("shared version never moved")
	}
	writeResult(b, "scale", res)
}
