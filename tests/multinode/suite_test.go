package multinode

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// suiteCluster is the cluster of scenarios 1-4: a master and workers,
// each in its own namespace with its own panel and real Xray; the master
// reaches each worker's panel through a relay the test can cut (push
// blocked). One inbound serves the long-lived clients, a second takes the
// churn of scenario 1.
type suiteCluster struct {
	*cluster
	nodes    []*node // master first
	relays   []*dbProxy
	payloads map[*node]string
	serveID  int
	churnID  int
	// Per node: the client of its long download (scenario 2), of its
	// chunked traffic (scenario 3), and the subscription client.
	stream, traffic map[*node]map[string]any
	sub             map[string]any
}

const suiteSubID = "suitesub0123456789ab"

func newSuiteCluster(t *testing.T, workers int, opts nodeOptions) *suiteCluster {
	t.Helper()
	c := newCluster(t, 0, opts)
	s := &suiteCluster{cluster: c, nodes: []*node{c.master}, payloads: map[*node]string{},
		stream: map[*node]map[string]any{}, traffic: map[*node]map[string]any{}}
	for i := 0; i < workers; i++ {
		w, relay := startPushedWorker(t, c, fmt.Sprintf("w%d", i+1), opts)
		s.nodes = append(s.nodes, w)
		s.relays = append(s.relays, relay)
	}
	var serve []map[string]any
	for _, n := range s.nodes {
		s.stream[n] = vlessClient("stream-"+n.name+"@suite", nil)
		s.traffic[n] = vlessClient("traffic-"+n.name+"@suite", nil)
		serve = append(serve, s.stream[n], s.traffic[n])
		s.payloads[n] = payloadOn(t, n.host)
	}
	s.sub = vlessClient("sub@suite", map[string]any{"subId": suiteSubID})
	serve = append(serve, s.sub)
	s.serveID = c.addVLESSInbound(inboundPort, serve...)
	s.churnID = c.addVLESSInbound(inboundPort+1, vlessClient("churn-seed@suite", nil))
	for _, n := range s.nodes {
		socks := proxyVia(t, n.host, inboundPort, s.stream[n])
		if !waitFor(30*time.Second, func() bool { return canDownload(socks, s.payloads[n]+"/bytes?n=1") }) {
			t.Fatalf("%s never served the suite's inbound", n.name)
		}
	}
	return s
}

// startPushedWorker starts a worker the master pushes to through a relay
// on the master's own link (namespaces do not route to each other); the
// relay's Cut blocks the push.
func startPushedWorker(t testing.TB, c *cluster, name string, opts nodeOptions) (*node, *dbProxy) {
	t.Helper()
	w := newNode(t, c, name, config.NodeRoleWorker, opts)
	relay := startDBProxy(t, c.master.host.hostIP+":0", fmt.Sprintf("%s:%d", w.host.nsIP, panelPort))
	w.env = []string{"XUI_NODE_PUSH_URL=http://" + relay.addr + "/"}
	w.start(c)
	c.workers = append(c.workers, w)
	return w, relay
}

// TestClusterSuite runs scenarios 1-4 on one cluster:
//
//   - 3, exactly once under faults, first, while no client was ever
//     deleted: chunked downloads through every node while workers' panels
//     are SIGKILLed at random moments, MariaDB is cut for everyone, one
//     worker is partitioned from it, and the master's panel is SIGKILLed
//     and restarted. With the traffic stopped and every journal settled
//     empty, each node's journal total must equal its node_client_traffics
//     rows and their sum client_traffics, to the byte, within 2 % of what
//     the clients received.
//   - 1, propagation: client adds, id changes, disables and deletes on the
//     master; per change, the time from the master's API answer until each
//     worker's Xray accepts or refuses that client (a real VLESS client
//     probing through it every 100 ms), with push and with push blocked.
//   - 2, no dropped connections: a long download through every node runs
//     through 3, through 1, across a worker panel SIGKILL and a master
//     panel-only restart; Xray restarts and interrupted transfers must
//     both be 0.
//   - 4, cold start without the DB: a worker's panel and Xray restart with
//     MariaDB away; it must proxy and serve the subscription from its
//     cache.
//
// make test: 2 workers, 24 changes, sync 5 s (under a minute alone);
// make bench-cluster: 4 workers, 200 changes, sync 30 s.
func TestClusterSuite(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database and x-ui processes
	started := time.Now()
	workers, changes, blocked, kills, syncSecs := 2, 24, 2, 2, 5
	if benchMode() {
		workers, changes, blocked, kills, syncSecs = 4, 200, 6, 6, 30
	}
	s := newSuiteCluster(t, workers, nodeOptions{syncSeconds: syncSecs, flushSeconds: 1})
	res := suiteResult{Workers: workers, SyncSeconds: syncSecs, Kills: kills}

	// Long downloads through every node, checked after each step below.
	streams := map[*node]*xraytest.RunningDownload{}
	pids := map[*node]int{}
	startStreams := func() {
		for _, n := range s.nodes {
			socks := proxyVia(t, n.host, inboundPort, s.stream[n])
			streams[n] = xraytest.StartDownload(socks, fmt.Sprintf("%s/slow?n=%d&rate=%d", s.payloads[n], 1<<30, 128<<10))
			if !streams[n].WaitBytes(64<<10, 15*time.Second) {
				t.Fatalf("%s: long download did not start: %v", n.name, streams[n].Err())
			}
			pids[n] = n.xrayPid()
		}
	}
	stopStreams := func() int64 {
		var total int64
		for n, st := range streams {
			got, _ := st.Stop()
			total += got
			delete(streams, n)
		}
		return total
	}
	defer stopStreams()
	checkStreams := func(when string) {
		t.Helper()
		for _, n := range s.nodes {
			if got := n.xrayPid(); got != pids[n] {
				res.XrayRestarts++
				t.Errorf("%s: %s's Xray restarted (pid %d -> %d)", when, n.name, pids[n], got)
				pids[n] = got
			}
			if !streams[n].Flowing(5 * time.Second) {
				res.Interrupted++
				t.Errorf("%s: the long download through %s stopped: %v", when, n.name, streams[n].Err())
			}
		}
	}

	// Scenario 3 first, while no client has been deleted yet: every byte
	// any node journals belongs to a client row that still exists, so the
	// journals must match the database exactly.
	startStreams()
	moved := s.faults(t, kills, checkStreams)
	res.StreamBytes = stopStreams()
	moved += res.StreamBytes
	res.MovedBytes = moved
	res.JournaledBytes, res.CountedBytes = s.quiescentAccounting(t)
	res.MovedDiffPercent = 100 * float64(res.CountedBytes-moved) / float64(moved)
	t.Logf("scenario 3: clients received %d bytes; journals %d, client_traffics %d (%.3f%%)",
		moved, res.JournaledBytes, res.CountedBytes, res.MovedDiffPercent)
	if res.MovedDiffPercent < -2 || res.MovedDiffPercent > 2 {
		t.Errorf("client_traffics holds %d bytes for %d the clients received (%.2f%%): more than 2%% off",
			res.CountedBytes, moved, res.MovedDiffPercent)
	}

	// Scenarios 1 and 2: changes under long downloads.
	startStreams()
	ch := &churn{c: s.cluster, prefix: "p", inbounds: []int{s.churnID}}
	var pushed, polled []time.Duration
	for k := 0; k < changes; k++ {
		pushed = append(pushed, s.propagate(t, ch.next(), 45*time.Second)...)
	}
	checkStreams("after the changes with push")
	for _, r := range s.relays {
		r.Cut()
	}
	for k := 0; k < blocked; k++ {
		polled = append(polled, s.propagate(t, ch.next(), time.Duration(syncSecs)*time.Second+30*time.Second)...)
	}
	for _, r := range s.relays {
		if err := r.Restore(); err != nil {
			t.Fatal(err)
		}
	}
	res.Pushed, res.Blocked = summarize(pushed, true), summarize(polled, true)
	t.Logf("scenario 1: push p50 %.0f p95 %.0f max %.0f ms over %d; push blocked p50 %.0f max %.0f ms over %d",
		res.Pushed.P50ms, res.Pushed.P95ms, res.Pushed.MaxMs, res.Pushed.N, res.Blocked.P50ms, res.Blocked.MaxMs, res.Blocked.N)
	checkStreams("after the changes with push blocked")
	w := s.cluster.workers[0]
	w.kill()
	w.start(s.cluster)
	checkStreams("after a worker panel SIGKILL")
	s.master.handoff()
	s.master.start(s.cluster)
	s.api = login(t, s.master.panelURL())
	checkStreams("after a master panel restart")
	stopStreams()

	// Scenario 4.
	res.ColdStartSub = s.coldStart(t, s.cluster.workers[len(s.cluster.workers)-1])
	res.ColdStartServed = true
	res.Seconds = time.Since(started).Seconds()
	writeResult(t, "suite", res)
	if res.XrayRestarts != 0 || res.Interrupted != 0 {
		t.Fatalf("xray restarts %d, interrupted transfers %d: both must be 0", res.XrayRestarts, res.Interrupted)
	}
}

// propagate makes one change and returns, per worker, the time from the
// master's answer until that worker's Xray gave the wanted answer.
func (s *suiteCluster) propagate(t testing.TB, next change, within time.Duration) []time.Duration {
	t.Helper()
	port := inboundPort + 1 + next.client["inbound"].(int)
	socks := make([]string, len(s.cluster.workers))
	for i, w := range s.cluster.workers {
		addr, stop := xraytest.StartClient(t, xraytest.VLESSOutboundTo(w.host.nsIP, port, next.client["id"].(string)), "")
		defer stop()
		socks[i] = addr
	}
	next.do()
	start := time.Now()
	out := make([]time.Duration, len(socks))
	var wg sync.WaitGroup
	failed := make([]bool, len(socks))
	for i, w := range s.cluster.workers {
		wg.Add(1)
		go func(i int, w *node) {
			defer wg.Done()
			url := s.payloads[w] + "/bytes?n=1"
			if !waitFor(within, func() bool { return canDownload(socks[i], url) == next.want }) {
				failed[i] = true
			}
			out[i] = time.Since(start)
		}(i, w)
	}
	wg.Wait()
	for i, f := range failed {
		if f {
			t.Fatalf("%s %s: %s never answered %v", next.kind, next.client["email"], s.cluster.workers[i].name, next.want)
		}
	}
	return out
}
