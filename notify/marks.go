package notify

import (
	"context"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// Scopes of notify_marks rows.
const (
	markClient = "client" // subject: a client's email
	markNode   = "node"   // subject: a node id
)

// setMark inserts the mark (scope, subject, mark) and reports whether
// this call created it. The unique index makes it the one test that
// decides who reports a condition: of two masters (a lease takeover) or
// two passes, only the insert that created the row records the event, in
// the same transaction, so the event exists exactly when the mark does.
func setMark(tx *gorm.DB, scope, subject, mark string, expires int64, now time.Time) (bool, error) {
	res := tx.Exec(database.DialectOf(tx).InsertIgnore()+" notify_marks (scope, subject, mark, expires, at) VALUES (?, ?, ?, ?, ?)",
		scope, subject, mark, expires, now.UnixMilli())
	return res.RowsAffected == 1, res.Error
}

// clearMark drops a mark: the condition ended, so its next start is
// reported again.
func clearMark(tx *gorm.DB, scope, subject, mark string) error {
	return tx.Where("scope = ? AND subject = ? AND mark = ?", scope, subject, mark).Delete(&model.NotifyMark{}).Error
}

// recordIfMarked sets the mark and, when this call created it, records
// ev in the same transaction.
func (r *Recorder) recordIfMarked(ctx context.Context, tx *gorm.DB, scope, subject, mark string, expires int64, ev Event) (bool, error) {
	created, err := setMark(tx, scope, subject, mark, expires, r.now())
	if err != nil || !created {
		return false, err
	}
	_, err = r.Record(ctx, tx, ev)
	return err == nil, err
}
