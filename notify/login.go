package notify

import (
	"context"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// maxLoginIPs bounds the addresses remembered per user: the least
// recently seen beyond it are forgotten (a login from one of them counts
// as new again), so a user on changing addresses cannot grow the table.
const maxLoginIPs = 50

// LoginSucceeded remembers that username logged in from ip, in the shared
// database (notify_login_ips), and records login.succeeded when the user
// never logged in from it before (or it was forgotten): the insert that
// adds the address and the event commit together, so two nodes serving
// the same first login record it once. It logs and goes on when the
// database fails: a login must not fail for a notice.
func (r *Recorder) LoginSucceeded(username, ip string) {
	if r == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), emitTimeout)
	defer cancel()
	if err := r.loginSucceeded(ctx, username, ip); err != nil {
		logf("notify: login.succeeded: %v", err)
	}
}

func (r *Recorder) loginSucceeded(ctx context.Context, username, ip string) error {
	conn, err := r.db.DB()
	if err != nil {
		return err
	}
	recorded := false
	err = conn.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := r.now().UnixMilli()
		res := tx.Exec(database.DialectOf(tx).InsertIgnore()+" notify_login_ips (username, ip, last_seen) VALUES (?, ?, ?)",
			username, ip, now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 { // seen before: refresh its place, at most hourly
			return tx.Model(&model.NotifyLoginIP{}).Where("username = ? AND ip = ? AND last_seen < ?", username, ip,
				now-time.Hour.Milliseconds()).Update("last_seen", now).Error
		}
		var seen int64
		if err := tx.Model(&model.NotifyLoginIP{}).Where("username = ?", username).Count(&seen).Error; err != nil {
			return err
		}
		if seen > maxLoginIPs {
			var old []int64
			if err := tx.Model(&model.NotifyLoginIP{}).Where("username = ?", username).
				Order("last_seen ASC, id ASC").Limit(int(seen-maxLoginIPs)).Pluck("id", &old).Error; err != nil {
				return err
			}
			if err := tx.Where("id IN ?", old).Delete(&model.NotifyLoginIP{}).Error; err != nil {
				return err
			}
		}
		recorded = true
		_, err := r.Record(ctx, tx, New(LoginSucceeded, map[string]any{"username": username, "ip": ip,
			"knownIps": min(seen, maxLoginIPs) - 1}))
		return err
	})
	if err == nil && recorded && r.recorded != nil {
		r.recorded()
	}
	return err
}
