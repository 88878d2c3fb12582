package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// quotaSteps are the shares of totalGB (percent) at which client.quota is
// recorded, highest first, once each until the client's usage falls
// below it again (its traffic reset, or a larger quota).
func quotaSteps() []int64 { return []int64{95, 80} }

// expirySteps are the warnings before a client's expiry, nearest first,
// once each per expiry value: a new expiry time warns again.
func expirySteps() []time.Duration { return []time.Duration{24 * time.Hour, 72 * time.Hour} }

// warnRow is what the warnings read of a client_traffics row.
type warnRow struct {
	InboundId  int
	Email      string
	Up         int64
	Down       int64
	Total      int64
	ExpiryTime int64
}

// markedSQL is true for a client_traffics row that has the mark (?).
const markedSQL = "EXISTS (SELECT 1 FROM notify_marks m WHERE m.scope = 'client' AND m.subject = client_traffics.email AND m.mark = ?)"

// ClientWarnings records client.quota and client.expiring in the master's
// traffic-rules transaction (traffic.FlushDeps.RulesPass), after the rules
// disabled what ran out: a warning's mark (notify_marks) and its event
// commit together, so each threshold is reported once for the cluster.
// A pass costs one scan of client_traffics for the clients past a step
// without its mark, and writes only for new warnings.
//
// The warnings are notices: a failure of theirs is logged and undone to a
// savepoint, so it never keeps the rules from disabling clients.
func (r *Recorder) ClientWarnings(tx *gorm.DB) error {
	if r == nil {
		return nil
	}
	if err := tx.SavePoint("notify_warnings").Error; err != nil {
		return err
	}
	if err := r.clientWarnings(tx); err != nil {
		logf("notify: quota and expiry warnings: %v", err)
		return tx.RollbackTo("notify_warnings").Error
	}
	return nil
}

func (r *Recorder) clientWarnings(tx *gorm.DB) error {
	now := r.now()
	if err := clearClientMarks(tx, now); err != nil {
		return err
	}
	// One scan: the enabled clients past a step they have no mark for.
	var conds []string
	var args []any
	for _, step := range quotaSteps() {
		conds = append(conds, "(total > 0 AND (up + down) * 100 >= total * ? AND NOT "+markedSQL+")")
		args = append(args, step, quotaMark(step))
	}
	for _, step := range expirySteps() {
		conds = append(conds, "(expiry_time > ? AND expiry_time <= ? AND NOT "+markedSQL+")")
		args = append(args, now.UnixMilli(), now.Add(step).UnixMilli(), expiryMark(step))
	}
	var rows []warnRow
	err := tx.Model(&model.ClientTraffic{}).Select("inbound_id", "email", "up", "down", "total", "expiry_time").
		Where("enable = ?", true).Where(strings.Join(conds, " OR "), args...).Order("email").Find(&rows).Error
	if err != nil {
		return err
	}
	ctx := context.Background()
	for _, c := range rows {
		if err := r.quotaWarning(ctx, tx, c, now); err != nil {
			return err
		}
		if err := r.expiryWarning(ctx, tx, c, now); err != nil {
			return err
		}
	}
	return nil
}

// quotaWarning marks every step c's usage reached and records one event
// for the highest one newly marked (a jump from 70 % to 97 % is one
// notice, and marks 80 % as told too).
func (r *Recorder) quotaWarning(ctx context.Context, tx *gorm.DB, c warnRow, now time.Time) error {
	var reached int64
	for _, step := range quotaSteps() { // highest first
		if c.Total <= 0 || (c.Up+c.Down)*100 < c.Total*step {
			continue
		}
		created, err := setMark(tx, markClient, c.Email, quotaMark(step), 0, now)
		if err != nil {
			return err
		}
		if created && reached == 0 {
			reached = step
		}
	}
	if reached == 0 {
		return nil
	}
	_, err := r.Record(ctx, tx, New(ClientQuota, map[string]any{"email": c.Email, "inboundId": c.InboundId,
		"percent": reached, "up": c.Up, "down": c.Down, "total": c.Total, "expiryTime": c.ExpiryTime}))
	return err
}

// expiryWarning marks every warning c's expiry is within and records one
// event for the nearest one newly marked.
func (r *Recorder) expiryWarning(ctx context.Context, tx *gorm.DB, c warnRow, now time.Time) error {
	var reached time.Duration
	for _, step := range expirySteps() { // nearest first
		if c.ExpiryTime <= now.UnixMilli() || c.ExpiryTime > now.Add(step).UnixMilli() {
			continue
		}
		created, err := setMark(tx, markClient, c.Email, expiryMark(step), c.ExpiryTime, now)
		if err != nil {
			return err
		}
		if created && reached == 0 {
			reached = step
		}
	}
	if reached == 0 {
		return nil
	}
	_, err := r.Record(ctx, tx, New(ClientExpiring, map[string]any{"email": c.Email, "inboundId": c.InboundId,
		"days": int(reached.Hours() / 24), "expiryTime": c.ExpiryTime, "up": c.Up, "down": c.Down, "total": c.Total}))
	return err
}

// clearClientMarks drops the warnings whose condition ended, so the next
// crossing is reported again: a quota step the usage is below again (a
// reset, a larger quota, no quota, a deleted client), an expiry warning
// whose client has another expiry time now (or is gone) or whose expiry
// passed. Each statement starts from notify_marks, which holds only the
// clients currently warned.
func clearClientMarks(tx *gorm.DB, now time.Time) error {
	// Plain reads, then a delete by id: a DELETE whose condition reads
	// client_traffics (NOT EXISTS ...) is a locking read on InnoDB and held
	// shared locks on every client row for the rest of the rules'
	// transaction, deadlocking the workers' flushes and client writes.
	var marks []model.NotifyMark
	if err := tx.Where("scope = ?", markClient).Find(&marks).Error; err != nil {
		return err
	}
	if len(marks) == 0 {
		return nil
	}
	subjects := make([]string, 0, len(marks))
	for _, m := range marks {
		subjects = append(subjects, m.Subject)
	}
	byEmail := map[string]warnRow{}
	for start := 0; start < len(subjects); start += markChunk {
		var rows []warnRow
		err := tx.Model(&model.ClientTraffic{}).Select("inbound_id", "email", "up", "down", "total", "expiry_time").
			Where("email IN ?", subjects[start:min(start+markChunk, len(subjects))]).Find(&rows).Error
		if err != nil {
			return err
		}
		for _, r := range rows {
			byEmail[strings.ToLower(r.Email)] = r
		}
	}
	var drop []int64
	for _, m := range marks {
		if !markHolds(m, byEmail, now) {
			drop = append(drop, m.Id)
		}
	}
	for start := 0; start < len(drop); start += markChunk {
		if err := tx.Where("id IN ?", drop[start:min(start+markChunk, len(drop))]).Delete(&model.NotifyMark{}).Error; err != nil {
			return err
		}
	}
	return nil
}

// markChunk bounds the ids and emails in one statement.
const markChunk = 500

// markHolds reports whether a client mark's condition still holds: the
// client still at or past the quota step, or its expiry unchanged and
// not yet passed. Marks of other kinds are kept.
func markHolds(m model.NotifyMark, byEmail map[string]warnRow, now time.Time) bool {
	c, ok := byEmail[strings.ToLower(m.Subject)]
	for _, step := range quotaSteps() {
		if m.Mark == quotaMark(step) {
			return ok && c.Total > 0 && (c.Up+c.Down)*100 >= c.Total*step
		}
	}
	for _, step := range expirySteps() {
		if m.Mark == expiryMark(step) {
			return m.Expires >= now.UnixMilli() && ok && c.ExpiryTime == m.Expires
		}
	}
	return true
}

func quotaMark(step int64) string { return fmt.Sprintf("quota%d", step) }

func expiryMark(step time.Duration) string { return fmt.Sprintf("expiring%dh", int(step.Hours())) }
