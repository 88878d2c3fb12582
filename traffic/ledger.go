package traffic

import (
	"sort"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// flushChunk bounds the rows per statement: 2,000 rows bind at most 8,000
// parameters, far below SQLite's 32,766 and MariaDB's 65,535.
const flushChunk = 2000

type trafficSum struct{ up, down int64 }

// ApplyBatch adds a batch to client_traffics, inbounds and
// node_client_traffics with a constant number of statements per chunk.
// Deltas of clients that no longer exist are dropped and counted; they never
// recreate rows. The inbound is taken from the database row, not the delta.
func ApplyBatch(tx *gorm.DB, nodeID string, deltas []Delta) (int64, error) {
	perEmail := map[string]*trafficSum{}
	var emails []string
	var tagged []*xray.Traffic
	inboundTagged := false
	for _, d := range deltas {
		if d.Tag != "" {
			tagged = append(tagged, &xray.Traffic{IsInbound: !d.Outbound, IsOutbound: d.Outbound, Tag: d.Tag, Up: d.UpDelta, Down: d.DownDelta})
			inboundTagged = inboundTagged || !d.Outbound
			continue
		}
		sum, ok := perEmail[d.Email]
		if !ok {
			sum = &trafficSum{}
			perEmail[d.Email] = sum
			emails = append(emails, d.Email)
		}
		sum.up += d.UpDelta
		sum.down += d.DownDelta
	}
	sort.Strings(emails) // stable lock order across nodes
	inboundOf, err := clientInbounds(tx, emails)
	if err != nil {
		return 0, err
	}
	var dropped int64
	known := emails[:0:0]
	perInbound := map[int]*trafficSum{}
	for _, e := range emails {
		id, ok := inboundOf[e]
		if !ok {
			dropped++
			continue
		}
		known = append(known, e)
		sum := perInbound[id]
		if sum == nil {
			sum = &trafficSum{}
			perInbound[id] = sum
		}
		sum.up += perEmail[e].up
		sum.down += perEmail[e].down
	}
	now := time.Now().UnixMilli()
	for start := 0; start < len(known); start += flushChunk {
		chunk := known[start:min(start+flushChunk, len(known))]
		if err := addClientTraffic(tx, chunk, perEmail, now); err != nil {
			return 0, err
		}
		if err := addNodeClientTraffic(tx, nodeID, chunk, perEmail); err != nil {
			return 0, err
		}
	}
	if err := addNodeTrafficHour(tx, nodeID, known, perEmail); err != nil {
		return 0, err
	}
	// Inbound counters are Xray's own inbound stats when the batch has
	// them; a journal written before they were collected counts its
	// inbounds from the client sums instead.
	if inboundTagged {
		if err := applyInboundDeltas(tx, tagged); err != nil {
			return 0, err
		}
	} else if err := addInboundTraffic(tx, perInbound); err != nil {
		return 0, err
	}
	if err := applyOutboundDeltas(tx, tagged); err != nil {
		return 0, err
	}
	return dropped, nil
}

func clientInbounds(tx *gorm.DB, emails []string) (map[string]int, error) {
	out := make(map[string]int, len(emails))
	for start := 0; start < len(emails); start += flushChunk {
		chunk := emails[start:min(start+flushChunk, len(emails))]
		var rows []struct {
			Email     string
			InboundId int
		}
		if err := tx.Table("client_traffics").Select("email, inbound_id").Where("email IN ?", chunk).Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.Email] = r.InboundId
		}
	}
	return out, nil
}

// caseExpr builds "CASE col WHEN ? THEN ? ... ELSE 0 END" with its args.
func caseExpr[K comparable](col string, keys []K, value func(K) int64) (string, []any) {
	var sb strings.Builder
	args := make([]any, 0, 2*len(keys))
	sb.WriteString("CASE " + col)
	for _, k := range keys {
		sb.WriteString(" WHEN ? THEN ?")
		args = append(args, k, value(k))
	}
	sb.WriteString(" ELSE 0 END")
	return sb.String(), args
}

func addClientTraffic(tx *gorm.DB, emails []string, perEmail map[string]*trafficSum, nowMs int64) error {
	var sb strings.Builder
	args := make([]any, 0, 3*len(emails)+1)
	if database.DialectOf(tx).IsMySQL() {
		sb.WriteString("UPDATE client_traffics c JOIN (")
		for i, e := range emails {
			if i == 0 {
				sb.WriteString("SELECT ? AS email, ? AS du, ? AS dd")
			} else {
				sb.WriteString(" UNION ALL SELECT ?, ?, ?")
			}
			args = append(args, e, perEmail[e].up, perEmail[e].down)
		}
		sb.WriteString(") d ON c.email = d.email SET c.up = c.up + d.du, c.down = c.down + d.dd, c.all_time = COALESCE(c.all_time, 0) + d.du + d.dd, c.last_online = ?")
		args = append(args, nowMs)
		return tx.Exec(sb.String(), args...).Error
	}
	sb.WriteString("UPDATE client_traffics SET up = up + d.column2, down = down + d.column3, all_time = COALESCE(all_time, 0) + d.column2 + d.column3, last_online = ? FROM (VALUES ")
	args = append(args, nowMs)
	for i, e := range emails {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?)")
		args = append(args, e, perEmail[e].up, perEmail[e].down)
	}
	sb.WriteString(") AS d WHERE client_traffics.email = d.column1")
	return tx.Exec(sb.String(), args...).Error
}

func addInboundTraffic(tx *gorm.DB, perInbound map[int]*trafficSum) error {
	if len(perInbound) == 0 {
		return nil
	}
	ids := make([]int, 0, len(perInbound))
	for id := range perInbound {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	upCase, upArgs := caseExpr("id", ids, func(id int) int64 { return perInbound[id].up })
	downCase, downArgs := caseExpr("id", ids, func(id int) int64 { return perInbound[id].down })
	allCase, allArgs := caseExpr("id", ids, func(id int) int64 { return perInbound[id].up + perInbound[id].down })
	sql := "UPDATE inbounds SET up = up + " + upCase +
		", down = down + " + downCase +
		", all_time = COALESCE(all_time, 0) + " + allCase +
		" WHERE id IN ?"
	args := append(append(append(upArgs, downArgs...), allArgs...), ids)
	return tx.Exec(sql, args...).Error
}

// addNodeClientTraffic upserts this node's per-client counters in one
// multi-row statement.
func addNodeClientTraffic(tx *gorm.DB, nodeID string, emails []string, perEmail map[string]*trafficSum) error {
	var sb strings.Builder
	args := make([]any, 0, 4*len(emails))
	sb.WriteString("INSERT INTO node_client_traffics (node_id, email, up, down) VALUES ")
	for i, e := range emails {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?)")
		args = append(args, nodeID, e, perEmail[e].up, perEmail[e].down)
	}
	sb.WriteString(database.DialectOf(tx).UpsertAdd([]string{"node_id", "email"}, []string{"up", "down"}))
	return tx.Exec(sb.String(), args...).Error
}

// nodeTrafficKeep is how long hourly per-node totals are kept.
const nodeTrafficKeep = 7 * 24 * time.Hour

// addNodeTrafficHour adds the batch's client bytes to this node's row for
// the current hour and prunes the node's rows older than a week.
func addNodeTrafficHour(tx *gorm.DB, nodeID string, emails []string, perEmail map[string]*trafficSum) error {
	var up, down int64
	for _, e := range emails {
		up += perEmail[e].up
		down += perEmail[e].down
	}
	if up == 0 && down == 0 {
		return nil
	}
	now := time.Now()
	hour := now.Truncate(time.Hour).Unix()
	err := tx.Exec("INSERT INTO node_traffic_hours (node_id, hour, up, down) VALUES (?, ?, ?, ?)"+
		database.DialectOf(tx).UpsertAdd([]string{"node_id", "hour"}, []string{"up", "down"}),
		nodeID, hour, up, down).Error
	if err != nil {
		return err
	}
	return tx.Where("node_id = ? AND hour < ?", nodeID, now.Add(-nodeTrafficKeep).Unix()).Delete(&model.NodeTrafficHour{}).Error
}

// LockLedger returns the node's last applied seq, creating its row, and
// holds the row lock on MariaDB (SQLite's BEGIN IMMEDIATE already locks).
func LockLedger(tx *gorm.DB, nodeID string) (int64, error) {
	row := &model.TrafficFlushLedger{NodeID: nodeID, UpdatedAt: time.Now().Unix()}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(row).Error; err != nil {
		return 0, err
	}
	var ledger model.TrafficFlushLedger
	q := tx.Where("node_id = ?", nodeID)
	if database.DialectOf(tx).IsMySQL() {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.First(&ledger).Error; err != nil {
		return 0, err
	}
	return ledger.LastSeq, nil
}

// ReconcileAndBump runs the master-only state changes and bumps the shared
// version in the same transaction when anything changed.
func ReconcileAndBump(tx *gorm.DB, c *Counters) (bool, error) {
	changed, err := c.ReconcileSharedTrafficState(tx)
	if err != nil || !changed {
		return false, err
	}
	return true, database.BumpSharedAccountsVersion(tx)
}
