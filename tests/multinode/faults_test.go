package multinode

import (
	"fmt"
	"math/rand"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/web/service"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// faults is scenario 3's traffic and faults: every node carries chunked
// downloads (2 MiB/s each) while, in order, workers' panels are SIGKILLed
// at random moments and restarted, MariaDB is cut for every node, one
// worker is partitioned from it, and the master's panel is SIGKILLed and
// restarted. It returns the bytes the clients received.
func (s *suiteCluster) faults(t *testing.T, kills int, checkStreams func(string)) int64 {
	t.Helper()
	seed := time.Now().UnixNano()
	t.Logf("scenario 3: fault seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	var moved atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, n := range s.nodes {
		socks := proxyVia(t, n.host, inboundPort, s.traffic[n])
		url := fmt.Sprintf("%s/slow?n=%d&rate=%d", s.payloads[n], 1<<20, 2<<20)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, _ := xraytest.DownloadWithin(socks, url, 20*time.Second)
				moved.Add(got)
			}
		}()
	}
	workers := s.cluster.workers
	for k := 0; k < kills; k++ {
		time.Sleep(time.Duration(300+rng.Intn(2700)) * time.Millisecond)
		w := workers[rng.Intn(len(workers))]
		w.kill()
		w.start(s.cluster)
	}
	checkStreams("after the worker kills")

	for _, n := range s.nodes {
		n.proxy.Cut()
	}
	time.Sleep(5 * time.Second)
	for _, n := range s.nodes {
		if err := n.proxy.Restore(); err != nil {
			t.Fatal(err)
		}
	}
	partitioned := workers[rng.Intn(len(workers))]
	partitioned.proxy.Cut()
	time.Sleep(6 * time.Second)
	if err := partitioned.proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	checkStreams("after the database outages")

	s.master.kill()
	s.master.start(s.cluster)
	s.api = login(t, s.master.panelURL())
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	checkStreams("after the master panel SIGKILL")
	return moved.Load()
}

// journalState is a node's journal as on disk now.
type journalState struct {
	collected service.TrafficTotals
	pending   int
	inflight  bool
	dropped   int64
}

func readJournal(t testing.TB, n *node) journalState {
	t.Helper()
	store := service.NewTrafficPendingStore(filepath.Join(n.dir, "traffic-pending.json"))
	collected, err := store.Collected()
	if err != nil {
		t.Fatal(err)
	}
	pending, inflight, dropped := store.Stats()
	return journalState{collected, pending, inflight, dropped}
}

// quiescentAccounting waits, with no traffic flowing, until every node's
// journal is empty and stays unchanged, then requires each node's
// journal total to equal its node_client_traffics rows and the sum of
// the journals to equal client_traffics, to the byte. It returns the
// downloaded bytes the journals and the database hold.
func (s *suiteCluster) quiescentAccounting(t *testing.T) (journaled, counted int64) {
	t.Helper()
	var last []journalState
	settled := waitFor(60*time.Second, func() bool {
		now := make([]journalState, len(s.nodes))
		quiet := true
		for i, n := range s.nodes {
			now[i] = readJournal(t, n)
			quiet = quiet && now[i].pending == 0 && !now[i].inflight && (last != nil && now[i] == last[i])
		}
		last = now
		time.Sleep(time.Second) // unchanged across a traffic tick and a flush
		return quiet
	})
	if !settled {
		t.Fatalf("journals never settled empty: %+v", last)
	}
	perNode := nodeTotals(t, s.cluster)
	var sum service.TrafficTotals
	for i, n := range s.nodes {
		j := last[i]
		if j.dropped != 0 {
			t.Errorf("%s dropped %d deltas, but no client was deleted", n.name, j.dropped)
		}
		if perNode[n.name] != j.collected {
			t.Errorf("%s: node_client_traffics %+v != journal %+v", n.name, perNode[n.name], j.collected)
		}
		sum.Up += j.collected.Up
		sum.Down += j.collected.Down
	}
	db := dbClientTotals(t, s.cluster)
	if db != sum {
		t.Errorf("client_traffics %+v != sum of the journals %+v", db, sum)
	}
	return sum.Down, db.Down
}

// coldStart is scenario 4: with MariaDB away for w, its panel restarts
// (Xray too) and must proxy and serve the subscription from its snapshot
// cache. It returns the number of subscription links served.
func (s *suiteCluster) coldStart(t *testing.T, w *node) int {
	t.Helper()
	w.proxy.Cut()
	defer func() {
		if err := w.proxy.Restore(); err != nil {
			t.Error(err)
		}
	}()
	w.stop()
	if pid := w.xrayPid(); pid != 0 {
		t.Fatalf("%s: Xray (pid %d) outlived a graceful stop", w.name, pid)
	}
	w.start(s.cluster)
	socks := proxyVia(t, w.host, inboundPort, s.traffic[w])
	if !waitFor(30*time.Second, func() bool { return canDownload(socks, s.payloads[w]+"/bytes?n=1024") }) {
		w.dumpLog()
		t.Fatalf("%s: no proxying after a cold start without the database", w.name)
	}
	var links []string
	if !waitFor(20*time.Second, func() bool { links = fetchSub(w.host, suiteSubID); return len(links) > 0 }) {
		w.dumpLog()
		t.Fatalf("%s: no subscription after a cold start without the database", w.name)
	}
	t.Logf("scenario 4: %s cold-started without the database: proxies, subscription has %d links", w.name, len(links))
	return len(links)
}
