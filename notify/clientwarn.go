package notify

import (
	"context"
	"fmt"
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
// The reads start from the clients past a step without its mark, so a
// pass costs a scan of client_traffics and writes only for new warnings.
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
	if err := clearClientMarks(tx, r.now()); err != nil {
		return err
	}
	ctx := context.Background()
	now := r.now()
	for i, step := range quotaSteps() {
		var rows []warnRow
		err := tx.Model(&model.ClientTraffic{}).Select("inbound_id", "email", "up", "down", "total", "expiry_time").
			Where("enable = ? AND total > 0 AND (up + down) * 100 >= total * ? AND NOT "+markedSQL, true, step, quotaMark(step)).
			Order("email").Find(&rows).Error
		if err != nil {
			return err
		}
		for _, c := range rows {
			// One notice for the highest step reached: the lower ones are
			// marked as reported with it.
			for _, lower := range quotaSteps()[i:] {
				if _, err := setMark(tx, markClient, c.Email, quotaMark(lower), 0, now); err != nil {
					return err
				}
			}
			_, err := r.Record(ctx, tx, New(ClientQuota, map[string]any{"email": c.Email, "inboundId": c.InboundId,
				"percent": step, "up": c.Up, "down": c.Down, "total": c.Total, "expiryTime": c.ExpiryTime}))
			if err != nil {
				return err
			}
		}
	}
	for i, step := range expirySteps() {
		var rows []warnRow
		err := tx.Model(&model.ClientTraffic{}).Select("inbound_id", "email", "up", "down", "total", "expiry_time").
			Where("enable = ? AND expiry_time > ? AND expiry_time <= ? AND NOT "+markedSQL,
				true, now.UnixMilli(), now.Add(step).UnixMilli(), expiryMark(step)).
			Order("email").Find(&rows).Error
		if err != nil {
			return err
		}
		for _, c := range rows {
			for _, later := range expirySteps()[i:] {
				if _, err := setMark(tx, markClient, c.Email, expiryMark(later), c.ExpiryTime, now); err != nil {
					return err
				}
			}
			_, err := r.Record(ctx, tx, New(ClientExpiring, map[string]any{"email": c.Email, "inboundId": c.InboundId,
				"days": int(step.Hours() / 24), "expiryTime": c.ExpiryTime, "up": c.Up, "down": c.Down, "total": c.Total}))
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// clearClientMarks drops the warnings whose condition ended, so the next
// crossing is reported again: a quota step the usage is below again (a
// reset, a larger quota, no quota, a deleted client), an expiry warning
// whose client has another expiry time now (or is gone) or whose expiry
// passed. Each statement starts from notify_marks, which holds only the
// clients currently warned.
func clearClientMarks(tx *gorm.DB, now time.Time) error {
	for _, step := range quotaSteps() {
		err := tx.Where("scope = ? AND mark = ? AND NOT EXISTS (SELECT 1 FROM client_traffics ct WHERE ct.email = notify_marks.subject"+
			" AND ct.total > 0 AND (ct.up + ct.down) * 100 >= ct.total * ?)", markClient, quotaMark(step), step).
			Delete(&model.NotifyMark{}).Error
		if err != nil {
			return err
		}
	}
	for _, step := range expirySteps() {
		err := tx.Where("scope = ? AND mark = ? AND (expires < ? OR NOT EXISTS (SELECT 1 FROM client_traffics ct"+
			" WHERE ct.email = notify_marks.subject AND ct.expiry_time = notify_marks.expires))",
			markClient, expiryMark(step), now.UnixMilli()).Delete(&model.NotifyMark{}).Error
		if err != nil {
			return err
		}
	}
	return nil
}

func quotaMark(step int64) string { return fmt.Sprintf("quota%d", step) }

func expiryMark(step time.Duration) string { return fmt.Sprintf("expiring%dh", int(step.Hours())) }
