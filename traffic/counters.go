// Package traffic carries Xray's counter deltas to the database exactly once:
// the durable journal, the per-node ledger, the counter updates, and the
// master-only rules (auto-disable, auto-renew, first-use expiry).
package traffic

import (
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
)

const (
	// tagChunk bounds the CASE lists of the inbound counter update.
	tagChunk = 300
)

// applyInboundDeltas adds inbound deltas with one CASE update per chunk.
func applyInboundDeltas(tx *gorm.DB, traffics []*xray.Traffic) error {
	sums := map[string][2]int64{}
	var tags []string
	for _, t := range traffics {
		if t == nil || !t.IsInbound || (t.Up <= 0 && t.Down <= 0) {
			continue
		}
		v, seen := sums[t.Tag]
		if !seen {
			tags = append(tags, t.Tag)
		}
		sums[t.Tag] = [2]int64{v[0] + max(t.Up, 0), v[1] + max(t.Down, 0)}
	}
	for start := 0; start < len(tags); start += tagChunk {
		chunk := tags[start:min(start+tagChunk, len(tags))]
		var up, down, all strings.Builder
		args := make([]any, 0, len(chunk)*7)
		for _, col := range []struct {
			b   *strings.Builder
			val func(v [2]int64) int64
		}{
			{&up, func(v [2]int64) int64 { return v[0] }},
			{&down, func(v [2]int64) int64 { return v[1] }},
			{&all, func(v [2]int64) int64 { return v[0] + v[1] }},
		} {
			col.b.WriteString("CASE tag")
			for _, tag := range chunk {
				col.b.WriteString(" WHEN ? THEN ?")
				args = append(args, tag, col.val(sums[tag]))
			}
			col.b.WriteString(" ELSE 0 END")
		}
		sql := "UPDATE inbounds SET up = up + " + up.String() +
			", down = down + " + down.String() +
			", all_time = COALESCE(all_time, 0) + " + all.String() +
			" WHERE tag IN ?"
		if err := tx.Exec(sql, append(args, chunk)...).Error; err != nil {
			return err
		}
	}
	return nil
}

// applyOutboundDeltas upserts outbound deltas in one statement per chunk.
func applyOutboundDeltas(tx *gorm.DB, traffics []*xray.Traffic) error {
	sums := map[string][2]int64{}
	var tags []string
	for _, t := range traffics {
		if t == nil || !t.IsOutbound || (t.Up <= 0 && t.Down <= 0) {
			continue
		}
		v, seen := sums[t.Tag]
		if !seen {
			tags = append(tags, t.Tag)
		}
		sums[t.Tag] = [2]int64{v[0] + max(t.Up, 0), v[1] + max(t.Down, 0)}
	}
	upsert := " ON CONFLICT(tag) DO UPDATE SET up = outbound_traffics.up + excluded.up," +
		" down = outbound_traffics.down + excluded.down, total = outbound_traffics.total + excluded.total"
	if database.DialectOf(tx).IsMySQL() {
		upsert = " ON DUPLICATE KEY UPDATE up = up + VALUES(up), down = down + VALUES(down), total = total + VALUES(total)"
	}
	for start := 0; start < len(tags); start += tagChunk {
		chunk := tags[start:min(start+tagChunk, len(tags))]
		args := make([]any, 0, len(chunk)*4)
		placeholders := make([]string, len(chunk))
		for i, tag := range chunk {
			v := sums[tag]
			placeholders[i] = "(?, ?, ?, ?)"
			args = append(args, tag, v[0], v[1], v[0]+v[1])
		}
		sql := "INSERT INTO outbound_traffics (tag, up, down, total) VALUES " + strings.Join(placeholders, ", ") + upsert
		if err := tx.Exec(sql, args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// Counters applies counter deltas and the traffic rules in the database.
type Counters struct {
	// Disabled, when set, is told inside the rules' transaction which
	// clients they just disabled and why, so what it records commits (or
	// rolls back) with the change itself.
	Disabled func(tx *gorm.DB, clients []DisabledClient) error
	// Warn, when set, runs last in the rules' transaction on every pass
	// (the master's quota and expiry warnings, notify.ClientWarnings).
	Warn func(tx *gorm.DB) error
}

// DisabledClient is one client the traffic rules disabled.
type DisabledClient struct {
	Email     string `json:"email"`
	InboundID int    `json:"inboundId"`
	// Reason is "depleted" (used up its quota) or "expired".
	Reason     string `json:"reason"`
	Up         int64  `json:"up"`
	Down       int64  `json:"down"`
	Total      int64  `json:"total"`
	ExpiryTime int64  `json:"expiryTime"`
}

// Reasons of DisabledClient.
const (
	ReasonDepleted = "depleted"
	ReasonExpired  = "expired"
)
