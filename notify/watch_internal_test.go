package notify

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/traffic"
	"gorm.io/gorm"
)

// clock is a settable time for the watches' thresholds: the tests move
// it instead of waiting, so nothing depends on how fast the machine is.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Now()} }
func kindsOf(t *testing.T, h *database.Handle, kind Kind) []model.NotifyEvent {
	t.Helper()
	var rows []model.NotifyEvent
	if err := h.Current().Where("kind = ?", string(kind)).Order("seq").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func setSetting(t *testing.T, h *database.Handle, key, value string) {
	t.Helper()
	conn := h.Current()
	if err := conn.Where("`key` = ?", key).Delete(&model.Setting{}).Error; err != nil {
		t.Fatal(err)
	}
	if err := conn.Create(&model.Setting{Key: key, Value: value}).Error; err != nil {
		t.Fatal(err)
	}
}

// A worker behind the master's shared version for longer than
// notifyLagSeconds is reported once; a new master (restart, takeover)
// does not report it again; once it caught up, a new lag is reported.
func TestNodeLaggingReportedOnceUntilCaughtUp(t *testing.T) {
	// Not parallel: the node signing key lives in XUI_DB_FOLDER.
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Setenv("XUI_DB_FOLDER", t.TempDir())
		h := testdb.Handle(t, b)
		rec := NewRecorder(h, "m1")
		clk := newClock()
		watch := func() *NodeWatch {
			w := NewNodeWatch(h, rec, time.Second)
			w.now = clk.now
			return w
		}
		bump := func() {
			if err := h.Current().Transaction(database.BumpSharedAccountsVersion); err != nil {
				t.Fatal(err)
			}
		}
		report := func(applied int64) {
			st := model.NodeState{NodeID: "w1", NodeRole: "worker", LastHeartbeatAt: clk.t.Unix(), LastSeenVersion: applied, UpdatedAt: clk.t.Unix()}
			if err := cluster.SignNodeState(&st); err != nil {
				t.Fatal(err)
			}
			if err := h.Current().Save(&st).Error; err != nil {
				t.Fatal(err)
			}
		}
		check := func(w *NodeWatch, want int) {
			t.Helper()
			if err := w.CheckOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := len(kindsOf(t, h, NodeLagging)); got != want {
				t.Fatalf("%d node.lagging events, want %d", got, want)
			}
		}
		setSetting(t, h, "notifyLagSeconds", "60")
		w := watch()
		report(0)
		check(w, 0) // in step
		bump()
		bump()
		check(w, 0) // behind, not for long
		clk.advance(61 * time.Second)
		report(1)
		check(w, 1)
		clk.advance(time.Minute)
		report(1)
		check(w, 1)
		check(watch(), 1) // a new master: the mark is in the database
		clk.advance(2 * time.Minute)
		check(watch(), 1)
		report(2) // caught up
		check(w, 1)
		bump()
		check(w, 1)
		clk.advance(61 * time.Second)
		report(2)
		check(w, 2) // a new lag
		ev := kindsOf(t, h, NodeLagging)[1]
		var p struct{ AppliedVersion, MasterVersion int64 }
		if err := json.Unmarshal([]byte(ev.Payload), &p); err != nil || ev.NodeID != "w1" || p.AppliedVersion != 2 || p.MasterVersion != 3 {
			t.Fatalf("node.lagging %s %s: want node w1, applied 2 of 3", ev.NodeID, ev.Payload)
		}
	})
}

// A node's traffic flush that keeps failing (its table gone) for longer
// than notifyFlushFailSeconds is reported once; a success ends it, and a
// new run of failures is reported again.
func TestFlushFailingReportedOnceUntilItSucceeds(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		h := testdb.Handle(t, b)
		rec := NewRecorder(h, "w1")
		clk := newClock()
		fw := NewFlushWatch(h, rec)
		fw.now = clk.now
		setSetting(t, h, "notifyFlushFailSeconds", "60")
		f := traffic.NewFlusher(h, traffic.NewJournal(t.TempDir()+"/j.json"), "w1", false, 0, traffic.FlushDeps{})
		flush := func() {
			if err := f.Store().Merge([]traffic.Delta{{InboundID: 1, Email: "x", UpDelta: 10}}); err != nil {
				t.Fatal(err)
			}
			_, err := f.FlushOnce(context.Background())
			fw.Flushed(err)
		}
		check := func(want int) {
			t.Helper()
			if got := len(kindsOf(t, h, FlushFailing)); got != want {
				t.Fatalf("%d traffic.flush_failing events, want %d", got, want)
			}
		}
		breakTable := func(from, to string) { testdb.ExecOn(t, h, fmt.Sprintf("ALTER TABLE %s RENAME TO %s", from, to)) }
		flush()
		check(0)
		breakTable("traffic_flush_ledger", "ledger_away")
		flush()
		clk.advance(30 * time.Second)
		flush()
		check(0) // failing, not for long
		clk.advance(31 * time.Second)
		flush()
		check(1)
		clk.advance(time.Hour)
		flush()
		check(1)
		breakTable("ledger_away", "traffic_flush_ledger")
		flush() // succeeds: the run ended
		check(1)
		breakTable("traffic_flush_ledger", "ledger_away")
		flush()
		clk.advance(61 * time.Second)
		flush()
		check(2)
		breakTable("ledger_away", "traffic_flush_ledger")
	})
}

// host.* are recorded once per crossing of tgCpu, tgMemory and tgDisk,
// from the host's real readings, and again only after the reading fell
// hysteresis points below the threshold.
func TestHostThresholdsReportedOncePerCrossing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		h := testdb.Handle(t, b)
		rec := NewRecorder(h, "n1")
		a := NewNodeAlerts(h, rec, time.Minute)
		count := func(kind Kind) int { return len(kindsOf(t, h, kind)) }
		// Real readings: memory and disk in use are above 1 %.
		setSetting(t, h, "tgCpu", "0")
		setSetting(t, h, "tgMemory", "1")
		setSetting(t, h, "tgDisk", "1")
		a.CheckOnce(context.Background())
		a.CheckOnce(context.Background())
		if count(HostMemoryHigh) != 1 || count(HostDiskHigh) != 1 || count(HostCPUHigh) != 0 {
			t.Fatalf("memory %d, disk %d, cpu %d events: want 1, 1, 0", count(HostMemoryHigh), count(HostDiskHigh), count(HostCPUHigh))
		}
		ev := kindsOf(t, h, HostMemoryHigh)[0]
		var p struct {
			Percent   float64
			Threshold int
		}
		if err := json.Unmarshal([]byte(ev.Payload), &p); err != nil || p.Threshold != 1 || p.Percent < 1 || ev.NodeID != "n1" {
			t.Fatalf("host.memory_high %s from %s", ev.Payload, ev.NodeID)
		}
		// CPU from a real reading too: busy between two samples.
		setSetting(t, h, "tgCpu", "1")
		sum := sha256.New()
		buf := make([]byte, 1<<20)
		for range 64 {
			sum.Write(buf)
		}
		a.CheckOnce(context.Background())
		if count(HostCPUHigh) != 1 {
			t.Fatalf("%d host.cpu_high events after busy work over a 1 %% threshold, want 1", count(HostCPUHigh))
		}
		// The hysteresis, with readings given: 80 % threshold.
		readings := []float64{10, 85, 79, 76, 90, 74, 81}
		i := 0
		a.sample = func() HostSample { v := readings[i]; i++; return HostSample{CPU: v, Memory: -1, Disk: -1} }
		setSetting(t, h, "tgCpu", "80")
		var got []int
		for range readings {
			a.CheckOnce(context.Background())
			got = append(got, count(HostCPUHigh))
		}
		// 10 ends the real crossing; 85 crosses; 79 and 76 are within 5
		// points; 90 is still the same crossing; 74 ends it; 81 is a new one.
		if fmt.Sprint(got) != "[1 2 2 2 2 2 3]" {
			t.Fatalf("host.cpu_high count after each reading: %v", got)
		}
	})
}

// A node that lost its database records db.unreachable once it answers
// again, with the outage's start and end; nothing while it is away and
// nothing more afterwards.
func TestDBUnreachableRecordedOnReconnect(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		conn, err := database.Open(b.Config, "master", b.SQLitePath)
		if err != nil {
			t.Fatal(err)
		}
		away := true
		h := database.NewHandle(conn, func() (*gorm.DB, error) {
			if away {
				return nil, fmt.Errorf("dial tcp: connection refused")
			}
			return database.Open(b.Config, "master", b.SQLitePath)
		})
		t.Cleanup(func() { h.Close() })
		rec := NewRecorder(h, "w1")
		clk := newClock()
		a := NewNodeAlerts(h, rec, time.Minute)
		a.now = clk.now
		count := func() int { return len(kindsOf(t, h, DBUnreachable)) }
		a.CheckOnce(context.Background())
		if count() != 0 {
			t.Fatal("db.unreachable while the database answered")
		}
		start := clk.t
		h.Close() // the connection is gone and cannot be reopened
		a.CheckOnce(context.Background())
		clk.advance(90 * time.Second)
		a.CheckOnce(context.Background())
		away = false
		a.CheckOnce(context.Background())
		a.CheckOnce(context.Background())
		evs := kindsOf(t, h, DBUnreachable)
		if len(evs) != 1 {
			t.Fatalf("%d db.unreachable events, want 1", len(evs))
		}
		var p struct {
			Since, Until string
			Seconds      int64
		}
		if err := json.Unmarshal([]byte(evs[0].Payload), &p); err != nil || p.Seconds != 90 ||
			p.Since != start.UTC().Format(time.RFC3339) || evs[0].NodeID != "w1" {
			t.Fatalf("db.unreachable %s: want 90 s from %s", evs[0].Payload, start.UTC().Format(time.RFC3339))
		}
	})
}

// The flush loop itself tells the watch each outcome (FlushDeps.Flushed):
// a loop whose flushes keep failing records traffic.flush_failing once,
// however many more failures follow.
func TestFlushLoopReportsFailingFlushOnce(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		h := testdb.Handle(t, b)
		rec := NewRecorder(h, "w1")
		fw := NewFlushWatch(h, rec)
		at := time.Now()
		fw.now = func() time.Time { at = at.Add(10 * time.Second); return at } // each failure 10 s later
		setSetting(t, h, "notifyFlushFailSeconds", "60")
		testdb.ExecOn(t, h, "ALTER TABLE traffic_flush_ledger RENAME TO ledger_away")
		f := traffic.NewFlusher(h, traffic.NewJournal(t.TempDir()+"/j.json"), "w1", false, 0, traffic.FlushDeps{Flushed: fw.Flushed})
		if err := f.Store().Merge([]traffic.Delta{{InboundID: 1, Email: "x", UpDelta: 10}}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { f.RunEvery(ctx, 5*time.Millisecond); close(done) }()
		deadline := time.Now().Add(20 * time.Second)
		for len(kindsOf(t, h, FlushFailing)) == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		// Let more failures come, then stop the loop.
		fw.mu.Lock()
		seen := fw.failures
		fw.mu.Unlock()
		for time.Now().Before(deadline) {
			fw.mu.Lock()
			more := fw.failures > seen+5
			fw.mu.Unlock()
			if more {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
		if got := len(kindsOf(t, h, FlushFailing)); got != 1 {
			t.Fatalf("%d traffic.flush_failing events from the loop, want 1", got)
		}
		testdb.ExecOn(t, h, "ALTER TABLE ledger_away RENAME TO traffic_flush_ledger")
	})
}
