package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// quotaSteps are the shares of totalGB (percent) at which client.quota is
// recorded, once each until the client's usage falls below it again (its
// traffic reset, or a larger quota).
func quotaSteps() []int64 { return []int64{80, 95} }

// expirySteps are the warnings before a client's expiry, once each per
// expiry value: a new expiry time warns again.
func expirySteps() []time.Duration { return []time.Duration{72 * time.Hour, 24 * time.Hour} }

// warnRow is what the warnings read of a client_traffics row.
type warnRow struct {
	InboundId  int
	Email      string
	Up         int64
	Down       int64
	Total      int64
	ExpiryTime int64
}

// ClientWarnings records client.quota and client.expiring in the master's
// traffic-rules transaction (traffic.FlushDeps.RulesPass), after the rules
// disabled what ran out: a warning's mark (notify_marks) and its event
// commit together, so each threshold is reported once for the cluster.
func (r *Recorder) ClientWarnings(tx *gorm.DB) error {
	if r == nil {
		return nil
	}
	ctx := context.Background()
	now := r.now()
	// Usage below a step again (a reset, a larger quota, no quota): that
	// step may be reported again on the next crossing.
	for _, step := range quotaSteps() {
		below := tx.Model(&model.ClientTraffic{}).Select("email").
			Where("total <= 0 OR (up + down) * 100 < total * ?", step)
		if err := tx.Where("scope = ? AND mark = ? AND subject IN (?)", markClient, quotaMark(step), below).
			Delete(&model.NotifyMark{}).Error; err != nil {
			return err
		}
	}
	// Expiry warnings whose expiry passed, and marks of deleted clients.
	if err := tx.Where("scope = ? AND expires > 0 AND expires < ?", markClient, now.UnixMilli()).
		Delete(&model.NotifyMark{}).Error; err != nil {
		return err
	}
	if err := tx.Where("scope = ? AND subject NOT IN (?)", markClient, tx.Model(&model.ClientTraffic{}).Select("email")).
		Delete(&model.NotifyMark{}).Error; err != nil {
		return err
	}
	var rows []warnRow
	err := tx.Model(&model.ClientTraffic{}).Select("inbound_id", "email", "up", "down", "total", "expiry_time").
		Where("enable = ? AND total > 0 AND (up + down) * 100 >= total * ?", true, quotaSteps()[0]).
		Order("email").Find(&rows).Error
	if err != nil {
		return err
	}
	for _, c := range rows {
		if err := r.quotaWarning(ctx, tx, c); err != nil {
			return err
		}
	}
	rows = rows[:0]
	err = tx.Model(&model.ClientTraffic{}).Select("inbound_id", "email", "up", "down", "total", "expiry_time").
		Where("enable = ? AND expiry_time > ? AND expiry_time <= ?", true, now.UnixMilli(), now.Add(expirySteps()[0]).UnixMilli()).
		Order("email").Find(&rows).Error
	if err != nil {
		return err
	}
	for _, c := range rows {
		if err := r.expiryWarning(ctx, tx, c, now); err != nil {
			return err
		}
	}
	return nil
}

func quotaMark(step int64) string { return fmt.Sprintf("quota%d", step) }

// quotaWarning marks every step c's usage reached and records one event
// for the highest newly reached (a jump from 70 % to 97 % is one notice).
func (r *Recorder) quotaWarning(ctx context.Context, tx *gorm.DB, c warnRow) error {
	used := c.Up + c.Down
	var reached int64
	for _, step := range quotaSteps() {
		if used*100 < c.Total*step {
			break
		}
		created, err := setMark(tx, markClient, c.Email, quotaMark(step), 0, r.now())
		if err != nil {
			return err
		}
		if created {
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
// event for the nearest newly reached.
func (r *Recorder) expiryWarning(ctx context.Context, tx *gorm.DB, c warnRow, now time.Time) error {
	left := time.Duration(c.ExpiryTime-now.UnixMilli()) * time.Millisecond
	var reached time.Duration
	for _, step := range expirySteps() {
		if left > step {
			break
		}
		mark := fmt.Sprintf("expiring%dh:%d", int(step.Hours()), c.ExpiryTime)
		created, err := setMark(tx, markClient, c.Email, mark, c.ExpiryTime, now)
		if err != nil {
			return err
		}
		if created {
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
