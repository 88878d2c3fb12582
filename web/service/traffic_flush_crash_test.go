package service

import (
	"errors"
	"fmt"
	"math/rand"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
)

const crashClients = 12

// openFlushDB opens b as the global DB with one inbound and crashClients
// client rows, and returns the journal path.
// Tests using it stay sequential: the global DB and XUI_DB_FOLDER are one
// per process.
func openFlushDB(t *testing.T, b dbtest.Backend) string {
	t.Helper()
	dir := dbtest.UseBackend(t, b)
	if err := database.InitDBWithPath(b.SQLitePath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.CloseDB() })
	db := database.GetDB()
	if err := db.Create(&model.Inbound{Id: 1, Tag: "inbound-1", Enable: true, Port: 10001, Protocol: model.VLESS}).Error; err != nil {
		t.Fatal(err)
	}
	for i := 0; i < crashClients; i++ {
		if err := db.Create(&xray.ClientTraffic{InboundId: 1, Email: fmt.Sprintf("c%d@x", i), Enable: true}).Error; err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "traffic-pending.json")
}

// newFlushNode is a fresh process's view: a store read from disk.
func newFlushNode(path, nodeID string) *TrafficFlushService {
	return NewTrafficFlushServiceFor(database.Process(), NewTrafficPendingStore(path), nodeID, false)
}

type trafficTotals struct{ up, down int64 }

func randomTraffic(rng *rand.Rand) ([]*xray.ClientTraffic, trafficTotals) {
	var out []*xray.ClientTraffic
	var sum trafficTotals
	for i := 0; i < crashClients; i++ {
		if rng.Intn(3) == 0 {
			continue
		}
		up, down := rng.Int63n(1<<20), rng.Int63n(1<<24)
		out = append(out, &xray.ClientTraffic{InboundId: 1, Email: fmt.Sprintf("c%d@x", i), Up: up, Down: down})
		sum.up += up
		sum.down += down
	}
	return out, sum
}

func dbTotals(t *testing.T) (clients, inbound, node trafficTotals) {
	t.Helper()
	db := database.GetDB()
	db.Model(&xray.ClientTraffic{}).Select("COALESCE(SUM(up),0), COALESCE(SUM(down),0)").Row().Scan(&clients.up, &clients.down)
	db.Model(&model.Inbound{}).Select("COALESCE(SUM(up),0), COALESCE(SUM(down),0)").Row().Scan(&inbound.up, &inbound.down)
	db.Model(&model.NodeClientTraffic{}).Select("COALESCE(SUM(up),0), COALESCE(SUM(down),0)").Row().Scan(&node.up, &node.down)
	return
}

func assertExact(t *testing.T, want trafficTotals) {
	t.Helper()
	clients, inbound, node := dbTotals(t)
	if clients != want || inbound != want || node != want {
		t.Fatalf("counters not exact: want %+v, clients %+v, inbound %+v, per-node %+v", want, clients, inbound, node)
	}
}

var errInjected = errors.New("injected failure")

// TestFlushCrashAtEveryStepIsExactlyOnce kills the flush at each step (an
// injected failure, then a new process that reopens the journal from disk)
// and checks that the database ends with exactly the traffic read.
func TestFlushCrashAtEveryStepIsExactlyOnce(t *testing.T) {
	steps := []string{"collect", "afterBegin", "inTx", "afterCommit"}
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		path := openFlushDB(t, b)
		rng := rand.New(rand.NewSource(7))
		var read trafficTotals
		node := newFlushNode(path, "w1")
		for round := 0; round < 4*len(steps); round++ {
			step := steps[round%len(steps)]
			traffic, sum := randomTraffic(rng)
			read.up += sum.up
			read.down += sum.down

			armed := true
			node.Knobs.Failpoint = func(s string) error {
				if armed && s == step {
					armed = false
					return errInjected
				}
				return nil
			}
			err := node.Collect(traffic)
			if step == "collect" {
				if !errors.Is(err, errInjected) {
					t.Fatalf("round %d: collect failure not reported: %v", round, err)
				}
				// The caller keeps what it read and journals it next time.
				if err := node.Collect(traffic); err != nil {
					t.Fatal(err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if err := node.FlushOnce(); step != "collect" && !errors.Is(err, errInjected) {
				t.Fatalf("round %d: step %s did not fail: %v", round, step, err)
			}
			// The process dies here; a new one reopens the journal from disk.
			node = newFlushNode(path, "w1")
			if err := node.FlushOnce(); err != nil {
				t.Fatalf("round %d after %s: recovery flush: %v", round, step, err)
			}
			assertExact(t, read)
		}
		if pending, inflight, _ := node.store.Stats(); pending != 0 || inflight {
			t.Fatalf("journal not empty: pending=%d inflight=%v", pending, inflight)
		}
	})
}

// TestFlushResendOfCommittedBatchIsNoop replays a committed batch whose
// journal entry was never cleared, twice, from two restarts.
func TestFlushResendOfCommittedBatchIsNoop(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		path := openFlushDB(t, b)
		node := newFlushNode(path, "w1")
		if err := node.Collect([]*xray.ClientTraffic{{Email: "c1@x", Up: 100, Down: 1000}}); err != nil {
			t.Fatal(err)
		}
		node.Knobs.Failpoint = func(s string) error {
			if s == "afterCommit" {
				return errInjected
			}
			return nil
		}
		if err := node.FlushOnce(); !errors.Is(err, errInjected) {
			t.Fatalf("expected injected failure, got %v", err)
		}
		for i := 0; i < 2; i++ {
			node = newFlushNode(path, "w1")
			if i == 0 {
				node.Knobs.Failpoint = func(s string) error {
					if s == "afterCommit" {
						return errInjected
					}
					return nil
				}
			}
			node.FlushOnce()
		}
		assertExact(t, trafficTotals{100, 1000})
		row, err := nodeClientTrafficOf(database.GetDB(), "w1", "c1@x")
		if err != nil || row.Up != 100 || row.Down != 1000 {
			t.Fatalf("per-node row %+v err %v", row, err)
		}
	})
}

// TestFlushDropsDeltasOfDeletedClients never recreates a deleted client.
func TestFlushDropsDeltasOfDeletedClients(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		path := openFlushDB(t, b)
		node := newFlushNode(path, "w1")
		err := node.Collect([]*xray.ClientTraffic{
			{Email: "c1@x", Up: 5, Down: 6},
			{Email: "gone@x", Up: 50, Down: 60},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := node.FlushOnce(); err != nil {
			t.Fatal(err)
		}
		assertExact(t, trafficTotals{5, 6})
		var count int64
		database.GetDB().Model(&xray.ClientTraffic{}).Where("email = ?", "gone@x").Count(&count)
		if count != 0 {
			t.Fatal("a delta recreated a deleted client")
		}
		if _, _, dropped := node.store.Stats(); dropped != 1 {
			t.Fatalf("dropped count %d, want 1", dropped)
		}
	})
}

// TestCollectWhileFlushingIsExact runs Collect and FlushOnce concurrently
// for a bounded time and checks the final totals.
func TestCollectWhileFlushingIsExact(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		path := openFlushDB(t, b)
		node := newFlushNode(path, "w1")
		var read trafficTotals
		deadline := time.Now().Add(2 * time.Second)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(11))
			for i := 0; i < 2000 && time.Now().Before(deadline); i++ {
				traffic, sum := randomTraffic(rng)
				if err := node.Collect(traffic); err != nil {
					t.Error(err)
					return
				}
				read.up += sum.up
				read.down += sum.down
			}
		}()
		flushes := 0
		for time.Now().Before(deadline) && flushes < 2000 {
			if err := node.FlushOnce(); err != nil {
				t.Fatal(err)
			}
			flushes++
		}
		wg.Wait()
		if err := node.FlushOnce(); err != nil {
			t.Fatal(err)
		}
		assertExact(t, read)
		t.Logf("%s: %d flushes, exact totals %+v", b.Name, flushes, read)
	})
}

// TestMasterReconcileStartsFirstUseAndDisablesAcrossNodes flushes traffic
// from two workers; the master's timer reconciliation (which has no traffic
// of its own) starts a first-use expiry and disables the client whose
// quota the two workers together exceeded, bumping the shared version.
func TestMasterReconcileStartsFirstUseAndDisablesAcrossNodes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		path := openFlushDB(t, b)
		db := database.GetDB()
		settings := `{"clients":[{"id":"a","email":"c0@x","enable":true,"totalGB":1000},{"id":"b","email":"c1@x","enable":true,"expiryTime":-86400000}]}`
		db.Model(&model.Inbound{}).Where("id = 1").Update("settings", settings)
		db.Model(&xray.ClientTraffic{}).Where("email = ?", "c0@x").Update("total", 1000)
		db.Model(&xray.ClientTraffic{}).Where("email = ?", "c1@x").Update("expiry_time", -86400000)

		for i, node := range []string{"w1", "w2"} {
			w := newFlushNode(filepath.Join(filepath.Dir(path), node+".json"), node)
			traffic := []*xray.ClientTraffic{{Email: "c0@x", Down: 600}}
			if i == 0 {
				traffic = append(traffic, &xray.ClientTraffic{Email: "c1@x", Down: 10})
			}
			if err := w.Collect(traffic); err != nil {
				t.Fatal(err)
			}
			if err := w.FlushOnce(); err != nil {
				t.Fatal(err)
			}
		}
		before, _ := database.GetSharedAccountsVersion(nil)
		master := NewTrafficFlushServiceFor(database.Process(), NewTrafficPendingStore(filepath.Join(filepath.Dir(path), "master.json")), "m", true)
		changed, err := master.ReconcileOnce()
		if err != nil || !changed {
			t.Fatalf("reconcile changed=%v err=%v", changed, err)
		}
		after, _ := database.GetSharedAccountsVersion(nil)
		if after != before+1 {
			t.Fatalf("version %d -> %d, want one bump", before, after)
		}
		var c0, c1 xray.ClientTraffic
		db.First(&c0, "email = ?", "c0@x")
		db.First(&c1, "email = ?", "c1@x")
		if c0.Enable {
			t.Fatalf("client over quota across two nodes still enabled: %+v", c0)
		}
		if c1.ExpiryTime <= time.Now().UnixMilli() || !c1.Enable {
			t.Fatalf("first-use expiry not started: %+v", c1)
		}
		if changed, _ := master.ReconcileOnce(); changed {
			t.Fatal("a second reconcile with nothing to do reported a change")
		}
	})
}

func TestJournalCollectedTotalsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "traffic-pending.json")
	store := NewTrafficPendingStore(path)
	store.Merge([]TrafficDelta{{Email: "a", UpDelta: 1, DownDelta: 2}})
	store.Merge([]TrafficDelta{{Email: "a", UpDelta: 10, DownDelta: 20}, {Email: "b", DownDelta: 5}})
	if batch, err := store.BeginFlush(); err != nil || batch == nil {
		t.Fatal(err)
	} else if err := store.CompleteFlush(batch.Seq, 0); err != nil {
		t.Fatal(err)
	}
	got, err := NewTrafficPendingStore(path).Collected()
	if err != nil || got != (TrafficTotals{Up: 11, Down: 27}) {
		t.Fatalf("collected %+v err %v", got, err)
	}
}

// nodeClientTrafficOf is one node's share of a client's traffic.
func nodeClientTrafficOf(tx *gorm.DB, nodeID, email string) (model.NodeClientTraffic, error) {
	var row model.NodeClientTraffic
	err := tx.Where("node_id = ? AND email = ?", nodeID, email).First(&row).Error
	return row, err
}
