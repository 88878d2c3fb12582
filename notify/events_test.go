package notify_test

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/errs/errstest"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"gorm.io/gorm"
)

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// An event recorded in the caller's transaction exists exactly when that
// transaction commits; one recorded on the handle is stored at once.
func TestRecordInTransactionOrHandle(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		h := testdb.Handle(t, b)
		rec := notify.NewRecorder(h, "node-a")
		ctx := context.Background()
		ev, err := rec.Record(ctx, nil, notify.New(notify.LoginFailed, map[string]string{"username": "x"}))
		if err != nil {
			t.Fatal(err)
		}
		if !hexID.MatchString(ev.ID) || ev.NodeID != "node-a" || ev.Time.IsZero() {
			t.Fatalf("recorded event %+v: want a 128-bit hex id, node-a and a time", ev)
		}
		rollback := errors.New("roll back")
		err = h.Current().Transaction(func(tx *gorm.DB) error {
			if _, err := rec.Record(ctx, tx, notify.New(notify.ClientDepleted, nil)); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("transaction: %v", err)
		}
		err = h.Current().Transaction(func(tx *gorm.DB) error {
			_, err := rec.Record(ctx, tx, notify.New(notify.XrayCrashed, nil))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var rows []model.NotifyEvent
		if err := h.Current().Order("seq").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Kind != string(notify.LoginFailed) || rows[1].Kind != string(notify.XrayCrashed) {
			t.Fatalf("stored events %+v: want login.failed then xray.crashed (the rolled back one absent)", rows)
		}
		_, err = rec.Record(ctx, nil, notify.Event{Kind: notify.Test, Payload: []byte("{not json")})
		errstest.Want(t, err, errs.KindInvalid, "payload")
	})
}

// Every kind a webhook may subscribe to has its row in the contract
// receivers read, docs/notifications.md's Events table.
func TestEveryKindIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/notifications.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range notify.Kinds() {
		if !strings.Contains(string(doc), "\n| `"+string(k)+"` |") {
			t.Errorf("kind %s has no row in docs/notifications.md's Events table", k)
		}
	}
}
