package sharedwrite_test

import (
	"errors"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/util/applied"
	"gorm.io/gorm"
)

func version(t *testing.T, h *database.Handle) int64 {
	t.Helper()
	v, err := database.GetSharedAccountsVersion(h.Current())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// testEntry is the audit entry of the test writes.
var testEntry = audit.Entry{Action: "test.write", TargetKind: "setting"}

func setKey(key string) func(tx *gorm.DB, ch *sharedwrite.Change) error {
	return func(tx *gorm.DB, ch *sharedwrite.Change) error {
		ch.Log = []model.SharedChange{{Kind: model.ChangeInbound, InboundId: 1}}
		return tx.Create(&model.Setting{Key: key, Value: "v"}).Error
	}
}

// A shared write commits its rows, the version bump and its change-log
// entry together, and only then hands the change to the fan-out; a failed
// write or a worker changes nothing and tells nobody.
func TestWriteCommitsThenAnnounces(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		h := testdb.Handle(t, b)
		master := cluster.NewNode(config.NodeConfig{Role: config.NodeRoleMaster}, b.Name == dbtest.MariaDB, h)
		var told []sharedwrite.Change
		notify := sharedwrite.NotifierFunc(func(ch sharedwrite.Change) error {
			if v := version(t, h); v != ch.Post {
				t.Errorf("fan-out ran at version %d before the write's %d committed", v, ch.Post)
			}
			var n int64
			h.Current().Model(&model.SharedChange{}).Where("version = ?", ch.Post).Count(&n)
			if n != 1 {
				t.Errorf("change log under %d has %d entries at fan-out, want 1", ch.Post, n)
			}
			told = append(told, ch)
			return errors.New("apply failed")
		})
		w := sharedwrite.New(h, master, notify)

		v0 := version(t, h)
		var r applied.Receipt
		ch, err := w.Write(&r, testEntry, setKey("a"))
		if err != nil {
			t.Fatal(err)
		}
		if ch.Pre != v0 || ch.Post != v0+1 || len(told) != 1 || told[0].Post != ch.Post {
			t.Fatalf("change %+v told %+v, want %d->%d told once", ch, told, v0, v0+1)
		}
		if ran, err := r.Result(); !ran || err == nil || err.Error() != "apply failed" {
			t.Fatalf("receipt ran=%v err=%v, want the fan-out's failure", ran, err)
		}

		before := testdb.DumpOf(t, h.Current())
		failing := func(tx *gorm.DB, ch *sharedwrite.Change) error {
			if err := setKey("b")(tx, ch); err != nil {
				return err
			}
			return errs.Invalid("b", "refused")
		}
		var r2 applied.Receipt
		if _, err := w.Write(&r2, testEntry, failing); err == nil {
			t.Fatal("the failing write succeeded")
		}
		worker := cluster.NewNode(config.NodeConfig{Role: config.NodeRoleWorker}, true, h)
		if _, err := sharedwrite.New(h, worker, notify).Write(&r2, testEntry, setKey("c")); errs.KindOf(err) != errs.KindForbidden {
			t.Fatalf("worker write: %v, want forbidden", err)
		}
		testdb.AssertUnchangedOf(t, h.Current(), before)
		if ran, _ := r2.Result(); ran || len(told) != 1 {
			t.Fatalf("a write that did not commit reached the fan-out (ran=%v, told %d)", ran, len(told))
		}
	})
}

// Two writes at once each get their own apply outcome in their receipt:
// the refused one answers only after the other applied, and still sees
// its own failure.
func TestConcurrentWritesKeepTheirOwnOutcome(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		h := testdb.Handle(t, b)
		master := cluster.NewNode(config.NodeConfig{Role: config.NodeRoleMaster}, b.Name == dbtest.MariaDB, h)
		refusedApplied, okDone := make(chan struct{}), make(chan struct{})
		first := version(t, h) + 1 // the refused write commits first
		w := sharedwrite.New(h, master, sharedwrite.NotifierFunc(func(ch sharedwrite.Change) error {
			if ch.Post == first {
				close(refusedApplied)
				<-okDone
				return errors.New("refused by xray")
			}
			return nil
		}))
		var refused, ok applied.Receipt
		done := make(chan error, 1)
		go func() {
			_, err := w.Write(&refused, testEntry, setKey("refused"))
			done <- err
		}()
		<-refusedApplied
		if _, err := w.Write(&ok, testEntry, setKey("ok")); err != nil {
			t.Fatal(err)
		}
		close(okDone)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if ran, err := ok.Result(); !ran || err != nil {
			t.Fatalf("ok write: ran=%v err=%v, want applied", ran, err)
		}
		if ran, err := refused.Result(); !ran || err == nil {
			t.Fatalf("refused write: ran=%v err=%v, want its own failure", ran, err)
		}
	})
}

// Every shared write inserts its audit row in its own transaction, with
// the writer's actor and what fn added to the entry; a write without an
// action is refused before it starts, and a rolled-back write (above,
// AssertUnchangedOf) leaves no row.
func TestWriteRecordsItsAuditRow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		h := testdb.Handle(t, b)
		master := cluster.NewNode(config.NodeConfig{Role: config.NodeRoleMaster, NodeID: "n1"}, b.Name == dbtest.MariaDB, h)
		actor := audit.Actor{Kind: audit.KindToken, UserID: 1, Role: "owner", TokenID: 7, IP: "192.0.2.1", Route: "POST /x"}
		w := sharedwrite.New(h, master, nil).As(actor)
		_, err := w.Write(nil, testEntry, func(tx *gorm.DB, ch *sharedwrite.Change) error {
			ch.Audit.TargetID = "k"
			ch.Audit.Changes = []audit.Change{{Field: "value", Before: "a", After: "b"}}
			return setKey("k")(tx, ch)
		})
		if err != nil {
			t.Fatal(err)
		}
		var rows []model.AuditLog
		if err := h.Current().Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("%d audit rows, want 1: %+v", len(rows), rows)
		}
		r := rows[0]
		if r.ActorKind != "token" || r.ActorID != "1" || r.ActorName != "admin" || r.TokenID != 7 || r.Role != "owner" ||
			r.SourceIP != "192.0.2.1" || r.Route != "POST /x" || r.NodeID != "n1" || r.Action != "test.write" ||
			r.TargetKind != "setting" || r.TargetID != "k" || r.Changes != `[{"field":"value","before":"a","after":"b"}]` {
			t.Fatalf("audit row %+v", r)
		}

		before := testdb.DumpOf(t, h.Current())
		if _, err := w.Write(nil, audit.Entry{}, setKey("never")); !errors.Is(err, sharedwrite.ErrNoAudit) {
			t.Fatalf("write without an audit action: %v, want ErrNoAudit", err)
		}
		// A write that fails after it filled in its entry rolls its row
		// back with everything else.
		_, err = w.Write(nil, testEntry, func(tx *gorm.DB, ch *sharedwrite.Change) error {
			ch.Audit.TargetID = "rolled-back"
			if err := setKey("rolled-back")(tx, ch); err != nil {
				return err
			}
			return errs.Invalid("value", "refused")
		})
		if errs.KindOf(err) != errs.KindInvalid {
			t.Fatalf("failing write: %v", err)
		}
		testdb.AssertUnchangedOf(t, h.Current(), before)
		var n int64
		if err := h.Current().Model(&model.AuditLog{}).Count(&n).Error; err != nil || n != 1 {
			t.Fatalf("%d audit rows after the refused writes (err %v), want still 1", n, err)
		}
	})
}
