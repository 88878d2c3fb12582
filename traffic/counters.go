// Package traffic carries Xray's counter deltas to the database exactly once:
// the durable journal, the per-node ledger, the counter updates, and the
// master-only rules (auto-disable, auto-renew, first-use expiry).
package traffic

import (
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
)

const (
	// tagChunk bounds the CASE lists of the inbound counter update.
	tagChunk = 300
	// deltaChunk rows of 3 placeholders stay under SQLite's 32766 limit.
	deltaChunk = 5000
)

// AddTraffic applies one collection of Xray counter deltas in a single
// transaction: inbound and client counters grow, outbound rows are upserted,
// first-use expiries start, and on a master the auto-renew / auto-disable
// rules run. It returns whether the Xray config must change (the caller
// applies it; OnChange is not called). It bumps the shared version only
// when the rules changed something.
func (s *Counters) AddTraffic(inboundTraffics []*xray.Traffic, clientTraffics []*xray.ClientTraffic) (bool, error) {
	conn, err := database.Conn()
	if err != nil {
		return false, err
	}
	master := cluster.IsMaster()
	needApply := false
	err = database.RetryOnDeadlock(func() error {
		needApply = false
		return conn.Transaction(func(tx *gorm.DB) error {
			return s.addTrafficTx(tx, inboundTraffics, clientTraffics, master, &needApply)
		}, inbound.TxOptions(conn))
	})
	if err != nil {
		return false, err
	}
	// No OnChange here: AddTraffic runs inside the XrayService's counter
	// drain, so the caller applies needApply once the drain has finished.
	return needApply, nil
}

// addTrafficTx is AddTraffic's transaction body; needApply reports whether
// the rules changed anything (and so bumped the shared version).
func (s *Counters) addTrafficTx(tx *gorm.DB, inboundTraffics []*xray.Traffic, clientTraffics []*xray.ClientTraffic, master bool, needApply *bool) error {
	if err := applyInboundDeltas(tx, inboundTraffics); err != nil {
		return err
	}
	if err := applyOutboundDeltas(tx, inboundTraffics); err != nil {
		return err
	}
	if _, err := s.ApplyClientTraffic(tx, clientTraffics); err != nil {
		return err
	}
	if !master {
		return nil // the renew/disable rules are master-only
	}
	changed, err := s.ReconcileSharedTrafficState(tx)
	if err != nil || !changed {
		return err
	}
	*needApply = true
	return database.BumpSharedAccountsVersion(tx)
}

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

// clientDeltaTable is a per-connection temporary table that holds one batch
// of client deltas so a single join UPDATE applies them all.
const clientDeltaTable = "xui_client_deltas"

// ApplyClientTraffic adds client deltas (matched by email; emails without a
// client_traffics row are dropped) inside tx with a constant number of
// statements per 5,000 deltas, stamps last_online, and starts first-use
// expiries (negative expiry_time becomes now + |expiry_time|, in the row and
// in the inbound's settings JSON). It returns how many rows it updated.
func (s *Counters) ApplyClientTraffic(tx *gorm.DB, traffics []*xray.ClientTraffic) (int64, error) {
	sums := map[string][2]int64{}
	var emails []string
	for _, t := range traffics {
		if t == nil || t.Email == "" || (t.Up <= 0 && t.Down <= 0) {
			continue
		}
		v, seen := sums[t.Email]
		if !seen {
			emails = append(emails, t.Email)
		}
		sums[t.Email] = [2]int64{v[0] + max(t.Up, 0), v[1] + max(t.Down, 0)}
	}
	if len(emails) == 0 {
		return 0, nil
	}
	mysql := database.DialectOf(tx).IsMySQL()
	if err := createDeltaTable(tx, mysql); err != nil {
		return 0, err
	}
	for start := 0; start < len(emails); start += deltaChunk {
		chunk := emails[start:min(start+deltaChunk, len(emails))]
		placeholders := make([]string, len(chunk))
		args := make([]any, 0, len(chunk)*3)
		for i, e := range chunk {
			placeholders[i] = "(?, ?, ?)"
			args = append(args, e, sums[e][0], sums[e][1])
		}
		sql := "INSERT INTO " + clientDeltaTable + " (email, up, down) VALUES " + strings.Join(placeholders, ", ")
		if err := tx.Exec(sql, args...).Error; err != nil {
			return 0, err
		}
	}
	var firstUse []inbound.ClientRowRef
	err := tx.Raw("SELECT ct.id, ct.inbound_id, ct.email, ct.expiry_time FROM client_traffics ct JOIN " +
		clientDeltaTable + " d ON d.email = ct.email WHERE ct.expiry_time < 0").Scan(&firstUse).Error
	if err != nil {
		return 0, err
	}
	nowMs := time.Now().UnixMilli()
	var res *gorm.DB
	if mysql {
		res = tx.Exec("UPDATE client_traffics ct JOIN "+clientDeltaTable+" d ON d.email = ct.email SET"+
			" ct.expiry_time = CASE WHEN ct.expiry_time < 0 THEN ? - ct.expiry_time ELSE ct.expiry_time END,"+
			" ct.up = ct.up + d.up, ct.down = ct.down + d.down,"+
			" ct.all_time = COALESCE(ct.all_time, 0) + d.up + d.down, ct.last_online = ?", nowMs, nowMs)
	} else {
		res = tx.Exec("UPDATE client_traffics SET"+
			" expiry_time = CASE WHEN client_traffics.expiry_time < 0 THEN ? - client_traffics.expiry_time ELSE client_traffics.expiry_time END,"+
			" up = client_traffics.up + d.up, down = client_traffics.down + d.down,"+
			" all_time = COALESCE(client_traffics.all_time, 0) + d.up + d.down, last_online = ?"+
			" FROM "+clientDeltaTable+" AS d WHERE client_traffics.email = d.email", nowMs, nowMs)
	}
	if res.Error != nil {
		return 0, res.Error
	}
	if err := dropDeltaTable(tx, mysql); err != nil {
		return 0, err
	}
	if len(firstUse) > 0 {
		patches := map[int]map[string]map[string]any{}
		for _, r := range firstUse {
			inbound.AddPatch(patches, r.InboundId, r.Email, map[string]any{"expiryTime": nowMs - r.ExpiryTime})
		}
		if err := inbound.PatchClients(tx, patches); err != nil {
			return 0, err
		}
	}
	return res.RowsAffected, nil
}

func createDeltaTable(tx *gorm.DB, mysql bool) error {
	if err := dropDeltaTable(tx, mysql); err != nil {
		return err
	}
	if mysql {
		// Copying the email column keeps its charset and collation, so the
		// join never hits "illegal mix of collations".
		return tx.Exec("CREATE TEMPORARY TABLE " + clientDeltaTable +
			" (PRIMARY KEY (email)) SELECT email, up, down FROM client_traffics WHERE 1 = 0").Error
	}
	return tx.Exec("CREATE TEMP TABLE " + clientDeltaTable +
		" (email TEXT PRIMARY KEY, up INTEGER NOT NULL, down INTEGER NOT NULL)").Error
}

func dropDeltaTable(tx *gorm.DB, mysql bool) error {
	if mysql {
		return tx.Exec("DROP TEMPORARY TABLE IF EXISTS " + clientDeltaTable).Error
	}
	return tx.Exec("DROP TABLE IF EXISTS temp." + clientDeltaTable).Error
}

// Counters applies counter deltas and the traffic rules in the database.
type Counters struct{}
