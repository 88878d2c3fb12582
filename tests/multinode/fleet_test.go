package multinode

import (
	"context"
	"encoding/json"
	"fmt"
	xuicluster "github.com/mhsanaei/3x-ui/v2/cluster"
	"math/rand"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster/nodepush"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/web/service"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// simWorker is one simulated worker in the test process. It runs the
// panel's own worker code: service.NodeSyncService (version poll, change
// log or full snapshot, cache file, heartbeat row in node_states, woken by
// the master's push through a real nodepush.Receiver) and
// service.TrafficFlushService (journal file, per-node ledger) under its
// own node id. Only Xray is replaced, by an opRecorder.
type simWorker struct {
	id    string
	dir   string
	sync  *service.NodeSyncService
	flush *service.TrafficFlushService
	rec   *opRecorder
}

// fleet is N simulated workers following one real master process. They
// share this process's database handle, which reaches MariaDB through a
// counting proxy, so the fleet's own DB traffic is measured apart from
// the master's (which goes through the master node's proxy).
type fleet struct {
	t       testing.TB
	workers []*simWorker
	cancel  context.CancelFunc
	loops   sync.WaitGroup
	started sync.WaitGroup // every sync loop is running (it takes pushes)
	srv     *http.Server
}

// fleetOptions are the simulated workers' x-ui.json node values.
type fleetOptions struct {
	syncEvery, flushEvery time.Duration
	startConcurrency      int // workers doing their first full sync at once
}

// openFleetDB makes this process's database handle the cluster's MariaDB,
// reached through a counting proxy (opened once per test: config reads
// x-ui.json once), with a pool of maxConns connections shared by every
// simulated worker.
func openFleetDB(t testing.TB, c *cluster, maxConns int) *dbProxy {
	t.Helper()
	proxy := startDBProxy(t, "127.0.0.1:0", net.JoinHostPort(c.db.Host, strconv.Itoa(c.db.Port)))
	host, portText, _ := net.SplitHostPort(proxy.addr)
	port, _ := strconv.Atoi(portText)
	dir := t.TempDir()
	settings := map[string]any{
		"databaseConnection": map[string]any{
			"dbType": "mariadb", "dbHost": host, "dbPort": port, "dbUser": c.db.User, "dbName": c.db.Name,
		},
		"node": map[string]any{"nodeRole": "worker", "nodeId": "sim"},
	}
	data, _ := json.Marshal(settings)
	if err := os.WriteFile(filepath.Join(dir, "x-ui.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XUI_DB_FOLDER", dir)
	t.Setenv("XUI_DB_PASSWORD", c.db.Password)
	if err := database.InitDB(); err != nil {
		t.Fatalf("fleet database: %v", err)
	}
	t.Cleanup(func() { database.CloseDB() })
	sqlDB, err := database.GetDB().DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(maxConns)
	sqlDB.SetMaxIdleConns(maxConns)
	return proxy
}

// startFleet starts n simulated workers named prefix-0..n-1. Their push
// receivers listen on the master's link, where the master's namespace
// reaches them. It returns once every worker has applied a first
// snapshot.
func startFleet(t testing.TB, c *cluster, prefix string, n int, opts fleetOptions) *fleet {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(c.master.host.hostIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	f := &fleet{t: t, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go f.srv.Serve(ln)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	sets, inbounds := settings.New(database.Process(), xuicluster.NodeFromJSON()), inbound.New(database.Process(), xuicluster.NodeFromJSON())
	base := "http://" + ln.Addr().String()
	for i := 0; i < n; i++ {
		w := &simWorker{id: fmt.Sprintf("%s-%d", prefix, i), dir: t.TempDir(), rec: newOpRecorder()}
		node := config.NodeConfig{Role: config.NodeRoleWorker, NodeID: w.id, NodeAddress: c.master.host.hostIP,
			SyncIntervalSeconds: int(opts.syncEvery / time.Second), TrafficFlushSeconds: int(opts.flushEvery / time.Second)}
		store := service.NewTrafficPendingStore(filepath.Join(w.dir, "traffic-pending.json"))
		pushURL := base + "/" + w.id + "/"
		w.sync = service.NewNodeSyncServiceWith(service.NodeSyncDeps{
			DB: database.Process(), Node: node, CachePath: filepath.Join(w.dir, "shared-cache.json"),
			Settings: sets, Inbounds: inbounds, Apply: w.rec.apply,
			Describe: func(state *model.NodeState) {
				state.XrayState = "simulated"
				pending, _, dropped := store.Stats()
				state.PendingDeltas, state.DroppedDeltas = int64(pending), dropped
				state.PushURL = pushURL
			},
		})
		w.flush = service.NewTrafficFlushServiceWith(database.Process(), store, w.id, false,
			service.FlushDeps{ResolveInbound: w.sync.InboundForEmail})
		mux.Handle("/"+w.id+"/", http.StripPrefix("/"+w.id, nodepush.NewReceiver(database.Process(), w.sync.Wake)))
		f.workers = append(f.workers, w)
	}
	// First syncs, a bounded number at a time (each reads the full snapshot).
	sem := make(chan struct{}, max(1, opts.startConcurrency))
	var wg sync.WaitGroup
	for _, w := range f.workers {
		wg.Add(1)
		sem <- struct{}{}
		go func(w *simWorker) {
			defer wg.Done()
			defer func() { <-sem }()
			w.sync.Prepare()
		}(w)
	}
	wg.Wait()
	// Then the loops, each started at a random point of its interval as
	// independent machines would be. A worker takes pushes once its loop
	// runs (see waitStarted).
	rng := rand.New(rand.NewSource(int64(n)))
	for _, w := range f.workers {
		syncDelay := time.Duration(rng.Int63n(int64(opts.syncEvery)))
		flushDelay := time.Duration(rng.Int63n(int64(opts.flushEvery)))
		f.loops.Add(2)
		f.started.Add(1)
		go func(w *simWorker) {
			defer f.loops.Done()
			ok := sleepCtx(ctx, syncDelay)
			f.started.Done()
			if ok {
				w.sync.Follow(ctx, opts.syncEvery)
			}
		}(w)
		go func(w *simWorker) {
			defer f.loops.Done()
			if sleepCtx(ctx, flushDelay) {
				w.flush.RunEvery(ctx, opts.flushEvery)
			} else if err := w.flush.FlushOnce(); err != nil {
				t.Errorf("%s: flush at stop: %v", w.id, err)
			}
		}(w)
	}
	t.Cleanup(f.stop)
	version, err := database.GetSharedAccountsVersion(database.GetDB())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range f.workers {
		if got := w.sync.LastSeenVersion(); got != version {
			t.Fatalf("%s applied version %d after its first sync, want %d", w.id, got, version)
		}
	}
	return f
}

// waitStarted returns once every worker's sync loop runs, at most one
// sync interval after startFleet.
func (f *fleet) waitStarted() { f.started.Wait() }

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// stop ends every loop (each flush loop makes a last flush) and the
// receivers, and removes the workers' status rows so the master stops
// pushing to them.
func (f *fleet) stop() {
	if f.cancel == nil {
		return
	}
	f.cancel()
	f.loops.Wait()
	f.srv.Close()
	f.cancel = nil
	if conn := database.GetDB(); conn != nil {
		ids := make([]string, len(f.workers))
		for i, w := range f.workers {
			ids[i] = w.id
		}
		conn.Where("node_id IN ?", ids).Delete(&model.NodeState{})
	}
}

// waitAnswer waits until every simulated worker's recorder accepts (want)
// or refuses email with an answer recorded after since, and returns each
// worker's latency from answered (the master's API answer; a push can
// beat the answer home, which counts as 0).
func (f *fleet) waitAnswer(email string, want bool, since, answered time.Time, within time.Duration) ([]time.Duration, error) {
	out := make([]time.Duration, len(f.workers))
	done := make([]bool, len(f.workers))
	left := len(f.workers)
	deadline := time.Now().Add(within)
	for left > 0 {
		for i, w := range f.workers {
			if done[i] {
				continue
			}
			if at, ok := w.rec.answer(email, want, since); ok {
				out[i], done[i] = max(0, at.Sub(answered)), true
				left--
			}
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d simulated workers never answered %v for %s", left, len(f.workers), want, email)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return out, nil
}

// collect journals synthetic traffic on every worker: perNode clients
// drawn from emails, each with a random byte count, as one drain.
func (f *fleet) collect(rng *rand.Rand, emails []string, perNode int) error {
	for _, w := range f.workers {
		list := make([]*xray.ClientTraffic, 0, perNode)
		for _, k := range rng.Perm(len(emails))[:min(perNode, len(emails))] {
			list = append(list, &xray.ClientTraffic{Email: emails[k], Up: 1 + rng.Int63n(1<<16), Down: 1 + rng.Int63n(1<<20)})
		}
		if err := w.flush.Collect(list); err != nil {
			return fmt.Errorf("%s: collect: %w", w.id, err)
		}
	}
	return nil
}

// checkExactlyOnce compares, after stop, every worker's journal with its
// node_client_traffics rows, and the sum of the journals with the
// client_traffics totals (the master carries no traffic in the
// simulation): both must be equal to the byte.
func (f *fleet) checkExactlyOnce(nodeTotal func(nodeID string) (service.TrafficTotals, error), dbTotal service.TrafficTotals) error {
	var sum service.TrafficTotals
	for _, w := range f.workers {
		collected, err := w.flush.Store().Collected()
		if err != nil {
			return err
		}
		if pending, inflight, _ := w.flush.Store().Stats(); pending != 0 || inflight {
			return fmt.Errorf("%s: %d deltas still pending (inflight %v) after the last flush", w.id, pending, inflight)
		}
		perNode, err := nodeTotal(w.id)
		if err != nil {
			return err
		}
		if perNode != collected {
			return fmt.Errorf("%s: node_client_traffics %+v != journal %+v", w.id, perNode, collected)
		}
		sum.Up += collected.Up
		sum.Down += collected.Down
	}
	if sum != dbTotal {
		return fmt.Errorf("client_traffics totals %+v != sum of the %d journals %+v", dbTotal, len(f.workers), sum)
	}
	return nil
}
