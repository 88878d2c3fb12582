package service

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The flush benchmark compares the real batched flush with the plan's
// original loop (two statements per delta) on the same data, so the speed-up
// the issue asks for is measured side by side in one run.

const (
	benchFlushInbounds = 10
	benchFlushClients  = 10000
)

// flushBenchEmail names client i of the seeded data set.
func flushBenchEmail(i int) string { return fmt.Sprintf("flush-%05d@bench", i) }

// flushBenchInbound is the inbound id seeded for client i.
func flushBenchInbound(i, inbounds, clients int) int { return 1 + i/(clients/inbounds) }

// seedFlushRows opens a fresh database of backend b as the global one and
// inserts inbounds x (clients/inbounds) client_traffics rows with multi-row
// inserts (the service path would spend minutes building settings JSON that
// a flush never reads). It returns the folder for the journal file.
func seedFlushRows(tb testing.TB, b dbtest.Backend, inbounds, clients int) string {
	tb.Helper()
	dir := testdb.Open(tb, b)
	db := database.GetDB()
	for i := 1; i <= inbounds; i++ {
		in := &model.Inbound{Id: i, Tag: fmt.Sprintf("inbound-%d", i), Enable: true, Port: 40000 + i,
			Protocol: model.VLESS, Settings: `{"clients":[],"decryption":"none"}`}
		if err := db.Create(in).Error; err != nil {
			tb.Fatal(err)
		}
	}
	const chunk = 1000
	for start := 0; start < clients; start += chunk {
		end := min(start+chunk, clients)
		var sb strings.Builder
		args := make([]any, 0, 2*(end-start))
		sb.WriteString("INSERT INTO client_traffics (inbound_id, enable, email, up, down, all_time, expiry_time, total, reset, last_online) VALUES ")
		for i := start; i < end; i++ {
			if i > start {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, 1, ?, 0, 0, 0, 0, 0, 0, 0)")
			args = append(args, flushBenchInbound(i, inbounds, clients), flushBenchEmail(i))
		}
		if err := db.Exec(sb.String(), args...).Error; err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// flushBenchTraffic is one collection round: every client has traffic.
func flushBenchTraffic(inbounds, clients int) []*xray.ClientTraffic {
	out := make([]*xray.ClientTraffic, clients)
	for i := range out {
		out[i] = &xray.ClientTraffic{InboundId: flushBenchInbound(i, inbounds, clients),
			Email: flushBenchEmail(i), Up: int64(i%977 + 1), Down: int64(i%1013 + 7)}
	}
	return out
}

// trafficToDeltas turns collected traffic into the plan's delta records.
func trafficToDeltas(traffic []*xray.ClientTraffic) []TrafficDelta {
	out := make([]TrafficDelta, len(traffic))
	for i, t := range traffic {
		out[i] = TrafficDelta{InboundID: t.InboundId, Email: t.Email, UpDelta: t.Up, DownDelta: t.Down}
	}
	return out
}

// planFlushPerDelta is the plan's flushToDatabase loop (Task 5, Step 4),
// reproduced for comparison: one UPDATE of inbounds and one upsert into
// client_traffics per delta, all in one transaction. It is test-only; the
// product uses applyTrafficBatch.
func planFlushPerDelta(deltas []TrafficDelta) error {
	return database.GetDB().Transaction(func(tx *gorm.DB) error {
		for _, delta := range deltas {
			if err := tx.Model(&model.Inbound{}).
				Where("id = ?", delta.InboundID).
				Updates(map[string]any{
					"up":       gorm.Expr("up + ?", delta.UpDelta),
					"down":     gorm.Expr("down + ?", delta.DownDelta),
					"all_time": gorm.Expr("COALESCE(all_time, 0) + ?", delta.UpDelta+delta.DownDelta),
				}).Error; err != nil {
				return err
			}

			row := xray.ClientTraffic{
				InboundId: delta.InboundID,
				Email:     delta.Email,
				Up:        delta.UpDelta,
				Down:      delta.DownDelta,
				AllTime:   delta.UpDelta + delta.DownDelta,
			}
			if err := tx.Clauses(clause.OnConflict{
				Columns: []clause.Column{{Name: "inbound_id"}, {Name: "email"}},
				DoUpdates: clause.Assignments(map[string]any{
					"up":       gorm.Expr("up + ?", delta.UpDelta),
					"down":     gorm.Expr("down + ?", delta.DownDelta),
					"all_time": gorm.Expr("all_time + ?", delta.UpDelta+delta.DownDelta),
				}),
			}).Create(&row).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// planFlushOnce is the plan's FlushOnce around that loop: load the journal,
// apply it, save an empty journal.
func planFlushOnce(store *TrafficPendingStore) error {
	deltas, err := store.Load()
	if err != nil || len(deltas) == 0 {
		return err
	}
	if err := planFlushPerDelta(deltas); err != nil {
		return err
	}
	return store.Save([]TrafficDelta{})
}

// BenchmarkFlush10kDeltas flushes 10,000 client deltas (10 inbounds) with
// the real batched path and with the plan's per-delta loop. Journal writes
// are timed in both; collection (Merge) is not.
func BenchmarkFlush10kDeltas(b *testing.B) {
	traffic := flushBenchTraffic(benchFlushInbounds, benchFlushClients)
	deltas := trafficToDeltas(traffic)
	for _, name := range []string{dbtest.SQLite, dbtest.MariaDB} {
		b.Run(name, func(b *testing.B) {
			b.Run("batched", func(b *testing.B) {
				dir := seedFlushRows(b, dbtest.New(b, name), benchFlushInbounds, benchFlushClients)
				node := newFlushNode(filepath.Join(dir, "traffic-pending.json"), "bench-node")
				for b.Loop() {
					b.StopTimer()
					if err := node.Collect(traffic); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if err := node.FlushOnce(); err != nil {
						b.Fatal(err)
					}
				}
				if pending, inflight, dropped := node.store.Stats(); pending != 0 || inflight || dropped != 0 {
					b.Fatalf("journal after flush: pending=%d inflight=%v dropped=%d", pending, inflight, dropped)
				}
			})
			b.Run("perDelta", func(b *testing.B) {
				dir := seedFlushRows(b, dbtest.New(b, name), benchFlushInbounds, benchFlushClients)
				store := NewTrafficPendingStore(filepath.Join(dir, "traffic-pending.json"))
				for b.Loop() {
					b.StopTimer()
					if err := store.Merge(deltas); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if err := planFlushOnce(store); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// flushSnapshot is every counter a flush changes, as sorted lines.
func flushSnapshot(t *testing.T) (clients, inbounds []string) {
	t.Helper()
	var cts []xray.ClientTraffic
	if err := database.GetDB().Order("email").Find(&cts).Error; err != nil {
		t.Fatal(err)
	}
	for _, c := range cts {
		clients = append(clients, fmt.Sprintf("%s in=%d up=%d down=%d all=%d", c.Email, c.InboundId, c.Up, c.Down, c.AllTime))
	}
	var ins []model.Inbound
	if err := database.GetDB().Order("id").Find(&ins).Error; err != nil {
		t.Fatal(err)
	}
	for _, in := range ins {
		inbounds = append(inbounds, fmt.Sprintf("%d up=%d down=%d all=%d", in.Id, in.Up, in.Down, in.AllTime))
	}
	sort.Strings(clients)
	return clients, inbounds
}

// TestFlushBatchedMatchesPerDelta runs both flush paths over the same
// deltas (two collection rounds, so every email appears twice) on two fresh
// databases and requires identical counters, so the benchmark compares
// equal work.
func TestFlushBatchedMatchesPerDelta(t *testing.T) {
	const inbounds, clients = 4, 400
	round1 := flushBenchTraffic(inbounds, clients)
	round2 := flushBenchTraffic(inbounds, clients)
	for i, tr := range round2 {
		tr.Up, tr.Down = int64(3*i+5), int64(i*i+11)
	}
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		dir := seedFlushRows(t, b, inbounds, clients)
		node := newFlushNode(filepath.Join(dir, "traffic-pending.json"), "w1")
		for _, round := range [][]*xray.ClientTraffic{round1, round2} {
			if err := node.Collect(round); err != nil {
				t.Fatal(err)
			}
		}
		if err := node.FlushOnce(); err != nil {
			t.Fatal(err)
		}
		batchedClients, batchedInbounds := flushSnapshot(t)
		clientsSum, _, nodeSum := dbTotals(t)
		if clientsSum != nodeSum {
			t.Fatalf("node_client_traffics %+v differs from client_traffics %+v", nodeSum, clientsSum)
		}
		database.CloseDB()

		seedFlushRows(t, dbtest.New(t, b.Name), inbounds, clients)
		deltas := append(trafficToDeltas(round1), trafficToDeltas(round2)...)
		if err := planFlushPerDelta(deltas); err != nil {
			t.Fatal(err)
		}
		loopClients, loopInbounds := flushSnapshot(t)

		if len(batchedClients) != clients || len(loopClients) != clients {
			t.Fatalf("row counts: batched %d, per-delta %d, want %d", len(batchedClients), len(loopClients), clients)
		}
		for i := range batchedClients {
			if batchedClients[i] != loopClients[i] {
				t.Fatalf("client_traffics differ at %d:\nbatched   %s\nper-delta %s", i, batchedClients[i], loopClients[i])
			}
		}
		if strings.Join(batchedInbounds, "\n") != strings.Join(loopInbounds, "\n") {
			t.Fatalf("inbounds differ:\nbatched   %v\nper-delta %v", batchedInbounds, loopInbounds)
		}
		if batchedClients[0] == fmt.Sprintf("%s in=1 up=0 down=0 all=0", flushBenchEmail(0)) {
			t.Fatal("flush wrote nothing")
		}
	})
}
