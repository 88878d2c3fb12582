package audit

import (
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// MaxPageSize bounds one page of the log.
const MaxPageSize = 200

// Filter selects rows of the log; empty fields select everything.
type Filter struct {
	Actor  string // actor kind, id or name, exactly
	Action string // an action, or its prefix up to a dot ("inbound" or "inbound.")
	Target string // target kind, or "kind:id"
	From   int64  // unix ms, inclusive
	To     int64  // unix ms, exclusive
	Text   string // substring of route, action, target id, actor name or changes
	Page   int    // 1-based
	Size   int
}

// Page is one page of the log, newest first.
type Page struct {
	Total int64            `json:"total"`
	Page  int              `json:"page"`
	Size  int              `json:"size"`
	Items []model.AuditLog `json:"items"`
}

// escapeLike makes a user's text a literal LIKE pattern (with ESCAPE '!',
// the same on SQLite and MariaDB).
func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

func contains(s string) string { return "%" + escapeLike(s) + "%" }

// List answers one page of the rows f selects.
func List(conn *gorm.DB, f Filter) (*Page, error) {
	if f.Size <= 0 {
		f.Size = 50
	}
	if f.Size > MaxPageSize {
		f.Size = MaxPageSize
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	q := conn.Model(&model.AuditLog{})
	if f.Actor != "" {
		q = q.Where("actor_kind = ? OR actor_id = ? OR actor_name = ?", f.Actor, f.Actor, f.Actor)
	}
	if a := strings.TrimSuffix(f.Action, "."); a != "" {
		q = q.Where("action = ? OR action LIKE ? ESCAPE '!'", a, escapeLike(a)+".%")
	}
	if f.Target != "" {
		kind, id, hasID := strings.Cut(f.Target, ":")
		q = q.Where("target_kind = ?", kind)
		if hasID {
			q = q.Where("target_id = ?", id)
		}
	}
	if f.From > 0 {
		q = q.Where("at >= ?", f.From)
	}
	if f.To > 0 {
		q = q.Where("at < ?", f.To)
	}
	if f.Text != "" {
		p := contains(f.Text)
		q = q.Where("route LIKE ? ESCAPE '!' OR action LIKE ? ESCAPE '!' OR target_id LIKE ? ESCAPE '!' OR actor_name LIKE ? ESCAPE '!' OR changes LIKE ? ESCAPE '!'", p, p, p, p, p)
	}
	out := &Page{Page: f.Page, Size: f.Size, Items: []model.AuditLog{}}
	if err := q.Count(&out.Total).Error; err != nil {
		return nil, err
	}
	err := q.Order("id DESC").Limit(f.Size).Offset((f.Page - 1) * f.Size).Find(&out.Items).Error
	return out, err
}

// Prune deletes the rows older than before (unix ms) and says how many.
func Prune(conn *gorm.DB, before int64) (int64, error) {
	res := conn.Where("at < ?", before).Delete(&model.AuditLog{})
	return res.RowsAffected, res.Error
}
