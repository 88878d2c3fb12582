package inbound

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

// MaxBulkClients bounds one bulk request (emails, or clients to add).
const MaxBulkClients = 5000

// Bulk actions on clients picked by email.
const (
	BulkEnable  = "enable"
	BulkDisable = "disable"
	BulkDelete  = "delete"
	BulkReset   = "reset"
	BulkExtend  = "extend"
)

// BulkRequest is one bulk action on the clients with these emails.
type BulkRequest struct {
	Action string   `json:"action"`
	Emails []string `json:"emails"`
	Days   int      `json:"days"` // extend only
}

func (r *BulkRequest) check() error {
	switch r.Action {
	case BulkEnable, BulkDisable, BulkDelete, BulkReset:
	case BulkExtend:
		if r.Days < 1 || r.Days > 36500 {
			return errs.Invalid("days", "must be between 1 and 36500, got %d", r.Days)
		}
	default:
		return errs.Invalid("action", "must be enable, disable, delete, reset or extend, got %q", r.Action)
	}
	if len(r.Emails) == 0 {
		return errs.Invalid("emails", "no clients given")
	}
	if len(r.Emails) > MaxBulkClients {
		return errs.Invalid("emails", "at most %d clients per request, got %d", MaxBulkClients, len(r.Emails))
	}
	return nil
}

// bulkRow is what a bulk action needs of each client_traffics row.
type bulkRow struct {
	Id         int
	InboundId  int
	Email      string
	ExpiryTime int64
	Enable     bool
}

// BulkClients runs one action on many clients in one transaction with one
// shared-version bump. Every email must exist, or nothing changes. It
// answers how many clients were changed.
func (s *Store) BulkClients(r BulkRequest) (int, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	count := 0
	e := audit.Entry{Action: "client.bulk." + r.Action, TargetKind: "client", TargetID: strings.Join(r.Emails, ","),
		Changes: bulkChanges(r)}
	err := s.write(e, func(tx *gorm.DB) error {
		rows, err := bulkRows(tx, r.Emails)
		if err != nil {
			return err
		}
		if err := s.checkBulkScope(tx, r.Action, rows); err != nil {
			return err
		}
		count = len(rows)
		if err := s.clientEvents(tx, "bulk "+r.Action, bulkEvents(r.Action, rows)); err != nil {
			return err
		}
		ids := make([]int, len(rows))
		for i := range rows {
			ids[i] = rows[i].Id
		}
		switch r.Action {
		case BulkEnable, BulkDisable:
			on := r.Action == BulkEnable
			patches := map[int]map[string]map[string]any{}
			for _, row := range rows {
				AddPatch(patches, row.InboundId, row.Email, map[string]any{"enable": on})
			}
			if err := updateRowsByID(tx, ids, map[string]any{"enable": on}); err != nil {
				return err
			}
			return PatchClients(tx, patches)
		case BulkDelete:
			byInbound := map[int]map[string]bool{}
			emails := make([]string, len(rows))
			for i, row := range rows {
				emails[i] = row.Email
				if byInbound[row.InboundId] == nil {
					byInbound[row.InboundId] = map[string]bool{}
				}
				byInbound[row.InboundId][strings.ToLower(row.Email)] = true
			}
			for _, id := range sortedKeys(byInbound) {
				if err := removeClientsByEmail(tx, id, byInbound[id]); err != nil {
					return err
				}
			}
			if err := forgetOwners(tx, emails); err != nil {
				return err
			}
			return deleteClientRows(tx, ids, emails)
		case BulkReset:
			for start := 0; start < len(ids); start += SQLChunk {
				chunk := ids[start:min(start+SQLChunk, len(ids))]
				if err := resetClientRows(tx, func(q *gorm.DB) *gorm.DB { return q.Where("id IN ?", chunk) }); err != nil {
					return err
				}
			}
			return nil
		default: // BulkExtend
			return extendRows(tx, rows, r.Days)
		}
	})
	return count, err
}

// bulkEvents are a bulk action's client events: disable disables the
// clients that were on, enable changes those that were off (the others
// are as they were), reset and extend change each; delete has no kind.
func bulkEvents(action string, rows []bulkRow) []ClientEvent {
	what := ClientChanged
	switch action {
	case BulkDelete:
		return nil
	case BulkDisable:
		what = ClientDisabled
	}
	out := make([]ClientEvent, 0, len(rows))
	for _, row := range rows {
		if (action == BulkDisable && !row.Enable) || (action == BulkEnable && row.Enable) {
			continue
		}
		out = append(out, ClientEvent{What: what, Email: row.Email, InboundID: row.InboundId})
	}
	return out
}

// bulkRows loads the rows of emails, failing NotFound on the first missing one.
func bulkRows(tx *gorm.DB, emails []string) ([]bulkRow, error) {
	want := make(map[string]string, len(emails))
	for _, e := range emails {
		want[strings.ToLower(e)] = e
	}
	var rows []bulkRow
	list := make([]string, 0, len(want))
	for lower := range want {
		list = append(list, lower)
	}
	column := "LOWER(email)"
	if database.DialectOf(tx).IsMySQL() {
		column = "email" // case-insensitive collation, keeps the index
	}
	for start := 0; start < len(list); start += SQLChunk {
		var part []bulkRow
		err := tx.Model(&model.ClientTraffic{}).Select("id", "inbound_id", "email", "expiry_time", "enable").
			Where(column+" IN ?", list[start:min(start+SQLChunk, len(list))]).Find(&part).Error
		if err != nil {
			return nil, err
		}
		rows = append(rows, part...)
	}
	found := make(map[string]bool, len(rows))
	for _, r := range rows {
		found[strings.ToLower(r.Email)] = true
	}
	for lower, e := range want {
		if !found[lower] {
			return nil, errs.NotFound("emails", "no client with email %q", e)
		}
	}
	return rows, nil
}

func updateRowsByID(tx *gorm.DB, ids []int, set map[string]any) error {
	for start := 0; start < len(ids); start += SQLChunk {
		err := tx.Model(&model.ClientTraffic{}).Where("id IN ?", ids[start:min(start+SQLChunk, len(ids))]).Updates(set).Error
		if err != nil {
			return err
		}
	}
	return nil
}

// extendRows moves each expiry days later: a past expiry restarts from now,
// a first-use duration grows, "never" stays never.
func extendRows(tx *gorm.DB, rows []bulkRow, days int) error {
	add := int64(days) * 24 * time.Hour.Milliseconds()
	now := time.Now().UnixMilli()
	patches := map[int]map[string]map[string]any{}
	for _, row := range rows {
		var next int64
		switch {
		case row.ExpiryTime > 0:
			next = max(row.ExpiryTime, now) + add
		case row.ExpiryTime < 0:
			next = row.ExpiryTime - add
		default:
			continue
		}
		if err := tx.Model(&model.ClientTraffic{}).Where("id = ?", row.Id).Update("expiry_time", next).Error; err != nil {
			return err
		}
		AddPatch(patches, row.InboundId, row.Email, map[string]any{"expiryTime": next})
	}
	return PatchClients(tx, patches)
}

func sortedKeys[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// AddManyRequest adds Count generated clients to one inbound.
type AddManyRequest struct {
	InboundId  int    `json:"inboundId"`
	Prefix     string `json:"prefix"`
	Count      int    `json:"count"`
	TotalGB    int64  `json:"totalGB"` // bytes, 0 = unlimited
	ExpiryTime int64  `json:"expiryTime"`
	LimitIP    int    `json:"limitIp"`
	Flow       string `json:"flow"`
}

// AddManyClients generates Count clients named prefix + random suffix, with
// fresh keys for the inbound's protocol, and adds them in one write.
func (s *Store) AddManyClients(r AddManyRequest) ([]string, error) {
	if r.Count < 1 || r.Count > MaxBulkClients {
		return nil, errs.Invalid("count", "must be between 1 and %d, got %d", MaxBulkClients, r.Count)
	}
	if r.InboundId <= 0 {
		return nil, errs.Invalid("inboundId", "inbound id is required")
	}
	in, err := s.GetInbound(r.InboundId)
	if err != nil {
		return nil, err
	}
	method := ""
	if doc, err := parseStoredSettings(in.Settings); err == nil {
		method = doc.str("method")
	}
	clients := make([]map[string]any, r.Count)
	emails := make([]string, r.Count)
	for i := range clients {
		emails[i] = r.Prefix + randomHex(4)
		c := map[string]any{
			"email": emails[i], "enable": true, "totalGB": r.TotalGB, "expiryTime": r.ExpiryTime,
			"limitIp": r.LimitIP, "subId": randomHex(8),
		}
		maps.Copy(c, NewCredentials(in.Protocol, method))
		if in.Protocol == model.VLESS && r.Flow != "" {
			c["flow"] = r.Flow
		}
		clients[i] = c
	}
	text, err := json.Marshal(map[string]any{"clients": clients})
	if err != nil {
		return nil, err
	}
	if err := s.AddInboundClient(&model.Inbound{Id: r.InboundId, Settings: string(text)}); err != nil {
		return nil, err
	}
	return emails, nil
}

// bulkChanges is what a bulk action sets, for its audit row.
func bulkChanges(r BulkRequest) []audit.Change {
	switch r.Action {
	case BulkEnable, BulkDisable:
		return []audit.Change{{Field: "enable", After: r.Action == BulkEnable}}
	case BulkExtend:
		return []audit.Change{{Field: "expiryTime", After: fmt.Sprintf("+%d days", r.Days)}}
	}
	return nil
}

// NewCredentials are fresh keys for a new client of protocol (method: a
// Shadowsocks inbound's cipher): a UUID for VLESS/VMess, a random password
// for Trojan, a key of the cipher's size for Shadowsocks-2022. Nil for a
// protocol without clients.
func NewCredentials(protocol model.Protocol, method string) map[string]any {
	switch protocol {
	case model.VLESS, model.VMESS:
		return map[string]any{"id": newUUID()}
	case model.Trojan:
		return map[string]any{"password": randomHex(12)}
	case model.Shadowsocks:
		return map[string]any{"password": shadowsocksKey(method)}
	}
	return nil
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// shadowsocksKey makes a password fit for method: 2022 ciphers need a
// base64 key of the cipher's size, the others any string.
func shadowsocksKey(method string) string {
	size := 0
	switch method {
	case "2022-blake3-aes-128-gcm":
		size = 16
	case "2022-blake3-aes-256-gcm", "2022-blake3-chacha20-poly1305":
		size = 32
	}
	if size == 0 {
		return randomHex(12)
	}
	b := make([]byte, size)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
