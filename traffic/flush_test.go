package traffic_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/traffic"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// TestFlushOnceReturnsItsResult: the flush engine reports what it did as
// a value (batches, deltas applied, deltas dropped, batches the ledger had
// already seen), counts a batch resent after a crash between commit and
// journal completion once, and reports the counters it wrote.
func TestFlushOnceReturnsItsResult(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		addInbound(t, inbound.New(db, nil), inboundtest.Inbound(model.VLESS, 27100, inboundtest.Client(model.VLESS, "known")))
		f := traffic.NewFlusher(db, traffic.NewJournal(filepath.Join(t.TempDir(), "traffic-pending.json")), "n1", true, 0, traffic.FlushDeps{})
		ctx := context.Background()

		if err := f.Collect([]*xray.ClientTraffic{{Email: "known", Up: 10, Down: 20}, {Email: "ghost", Up: 1, Down: 1}}); err != nil {
			t.Fatal(err)
		}
		res, err := f.FlushOnce(ctx)
		if err != nil || res != (traffic.FlushResult{Batches: 1, Applied: 2, Dropped: 1}) {
			t.Fatalf("first flush: %+v %v", res, err)
		}
		if res, err := f.FlushOnce(ctx); err != nil || res != (traffic.FlushResult{}) {
			t.Fatalf("nothing pending: %+v %v", res, err)
		}

		// Committed but not completed in the journal: the resend is
		// recognised by the ledger, so the bytes count once.
		if err := f.Collect([]*xray.ClientTraffic{{Email: "known", Up: 5, Down: 5}}); err != nil {
			t.Fatal(err)
		}
		crash := errors.New("crash after commit")
		f.Knobs.Failpoint = func(step string) error {
			if step == "afterCommit" {
				return crash
			}
			return nil
		}
		if _, err := f.FlushOnce(ctx); !errors.Is(err, crash) {
			t.Fatalf("failpoint: %v", err)
		}
		f.Knobs.Failpoint = nil
		if res, err := f.FlushOnce(ctx); err != nil || res != (traffic.FlushResult{Skipped: 1}) {
			t.Fatalf("resent batch: %+v %v", res, err)
		}
		if r := testdb.RowsOf(t, db, 0)["known"]; r.Up != 15 || r.Down != 25 {
			t.Fatalf("counters %+v, want 15/25 (the resent batch counted once)", r)
		}

		// A cancelled context sends nothing and keeps the deltas.
		if err := f.Collect([]*xray.ClientTraffic{{Email: "known", Up: 1}}); err != nil {
			t.Fatal(err)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if res, err := f.FlushOnce(cancelled); !errors.Is(err, context.Canceled) || res != (traffic.FlushResult{}) {
			t.Fatalf("cancelled flush: %+v %v", res, err)
		}
		if res, err := f.FlushOnce(ctx); err != nil || res.Batches != 1 || res.Applied != 1 {
			t.Fatalf("flush after cancel: %+v %v", res, err)
		}
	})
}
