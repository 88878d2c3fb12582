package inbound

import (
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

// MaxClientPageSize bounds one page of the cross-inbound client list.
const MaxClientPageSize = 200

// expiringWindow is how close an expiry must be for the "expiring" filter.
const expiringWindow = 3 * 24 * time.Hour

// ClientPageQuery holds 3x-ui v3's paged-list parameters.
type ClientPageQuery struct {
	Page     int    // from 1
	PageSize int    // 1..MaxClientPageSize
	Search   string // substring of the email, case-insensitive
	Filter   string // "", online, depleted, expiring, disabled
	Protocol string // "" or an inbound protocol
	Inbound  int    // 0 = every inbound
	Sort     string // email, inbound, up, down, usage, total, expiryTime, lastOnline
	Order    string // asc, desc
	Online   []string
	// Owner, when set, lists only the clients this reseller owns.
	Owner int
}

// ClientRow is a slim row of the client list: what the table shows, no
// keys or settings (the client form loads the full client by email).
type ClientRow struct {
	Email      string `json:"email"`
	InboundId  int    `json:"inboundId"`
	Remark     string `json:"inboundRemark"`
	Protocol   string `json:"protocol"`
	Enable     bool   `json:"enable"`
	Up         int64  `json:"up"`
	Down       int64  `json:"down"`
	Total      int64  `json:"total"`
	ExpiryTime int64  `json:"expiryTime"`
	Reset      int    `json:"reset"`
	LastOnline int64  `json:"lastOnline"`
	Online     bool   `json:"online"`
}

// ClientPage is one page of rows and the number of rows matching in all.
type ClientPage struct {
	Items    []ClientRow `json:"items"`
	Total    int64       `json:"total"`
	Page     int         `json:"page"`
	PageSize int         `json:"pageSize"`
}

var clientSortColumns = map[string]string{
	"email": "ct.email", "inbound": "ct.inbound_id", "up": "ct.up", "down": "ct.down",
	"usage": "ct.up + ct.down", "total": "ct.total", "expiryTime": "ct.expiry_time",
	"lastOnline": "ct.last_online", "enable": "ct.enable",
}

// Check validates q, naming the bad parameter.
func (q *ClientPageQuery) Check() error {
	if q.Page < 1 {
		return errs.Invalid("page", "must be 1 or more, got %d", q.Page)
	}
	if q.PageSize < 1 || q.PageSize > MaxClientPageSize {
		return errs.Invalid("pageSize", "must be between 1 and %d, got %d", MaxClientPageSize, q.PageSize)
	}
	switch q.Filter {
	case "", "online", "depleted", "expiring", "disabled":
	default:
		return errs.Invalid("filter", "must be online, depleted, expiring or disabled, got %q", q.Filter)
	}
	if q.Sort != "" && clientSortColumns[q.Sort] == "" {
		return errs.Invalid("sort", "unknown sort column %q", q.Sort)
	}
	switch strings.ToLower(q.Order) {
	case "", "asc", "ascend", "desc", "descend":
	default:
		return errs.Invalid("order", "must be asc or desc, got %q", q.Order)
	}
	switch model.Protocol(q.Protocol) {
	case "", model.VLESS, model.VMESS, model.Trojan, model.Shadowsocks:
	default:
		return errs.Invalid("protocol", "unknown protocol %q", q.Protocol)
	}
	return nil
}

// ListClientsPaged lists clients across inbounds with filtering, sorting
// and paging done by the database on client_traffics (one row per client),
// so a page costs the same at 20 clients or 20,000.
func (s *Store) ListClientsPaged(q ClientPageQuery) (*ClientPage, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	base := conn.Table("client_traffics AS ct").Joins("JOIN inbounds AS ib ON ib.id = ct.inbound_id")
	if q.Inbound > 0 {
		base = base.Where("ct.inbound_id = ?", q.Inbound)
	}
	if q.Owner > 0 {
		base = base.Where("LOWER(ct.email) IN (SELECT email FROM client_owners WHERE user_id = ?)", q.Owner)
	}
	if q.Protocol != "" {
		base = base.Where("ib.protocol = ?", q.Protocol)
	}
	if s := strings.ToLower(strings.TrimSpace(q.Search)); s != "" {
		col := "LOWER(ct.email)"
		if database.DialectOf(conn).IsMySQL() {
			col = "ct.email" // case-insensitive collation already
		}
		base = base.Where(col+" LIKE ? ESCAPE '!'", "%"+likeEscape(s)+"%")
	}
	now := time.Now().UnixMilli()
	switch q.Filter {
	case "online":
		if len(q.Online) == 0 {
			return &ClientPage{Items: []ClientRow{}, Page: q.Page, PageSize: q.PageSize}, nil
		}
		base = base.Where("ct.email IN ?", q.Online)
	case "depleted":
		base = base.Where("((ct.total > 0 AND ct.up + ct.down >= ct.total) OR (ct.expiry_time > 0 AND ct.expiry_time <= ?))", now)
	case "expiring":
		base = base.Where("ct.expiry_time > ? AND ct.expiry_time <= ?", now, now+expiringWindow.Milliseconds())
	case "disabled":
		base = base.Where("ct.enable = ?", false)
	}
	var total int64
	if err := base.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, err
	}
	order := "ct.id"
	if col := clientSortColumns[q.Sort]; col != "" {
		order = col
	}
	if o := strings.ToLower(q.Order); o == "desc" || o == "descend" {
		order += " DESC"
	}
	order += ", ct.id"
	var rows []ClientRow
	err = base.Session(&gorm.Session{}).
		Select("ct.email AS email, ct.inbound_id AS inbound_id, ib.remark AS remark, ib.protocol AS protocol, " +
			"ct.enable AS enable, ct.up AS up, ct.down AS down, ct.total AS total, ct.expiry_time AS expiry_time, " +
			"ct.reset AS reset, ct.last_online AS last_online").
		Order(order).Offset((q.Page - 1) * q.PageSize).Limit(q.PageSize).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	online := make(map[string]bool, len(q.Online))
	for _, e := range q.Online {
		online[strings.ToLower(e)] = true
	}
	for i := range rows {
		rows[i].Online = online[strings.ToLower(rows[i].Email)]
	}
	if rows == nil {
		rows = []ClientRow{}
	}
	return &ClientPage{Items: rows, Total: total, Page: q.Page, PageSize: q.PageSize}, nil
}

// likeEscape escapes LIKE wildcards with '!'.
func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// ClientDetail is one client with its inbound, the inbound's settings
// holding only that client (a 20,000-client inbound stays off the wire).
type ClientDetail struct {
	Inbound *model.Inbound       `json:"inbound"`
	Client  *Client              `json:"client"`
	Traffic *model.ClientTraffic `json:"traffic"`
}

// GetClientDetail loads the client with email and its inbound.
func (s *Store) GetClientDetail(email string) (*ClientDetail, error) {
	in, c, err := s.GetClientByEmail(email)
	if err != nil {
		return nil, err
	}
	doc, err := parseStoredSettings(in.Settings)
	if err != nil {
		return nil, err
	}
	raws, err := doc.clientList()
	if err != nil {
		return nil, err
	}
	idents, err := identsOf(raws)
	if err != nil {
		return nil, err
	}
	for i, id := range idents {
		if strings.EqualFold(id.Email, email) {
			doc.setClients(raws[i : i+1])
			break
		}
	}
	text, err := doc.encode()
	if err != nil {
		return nil, err
	}
	in.Settings = text
	in.ClientStats = nil
	tr, err := s.GetClientTrafficByEmail(email)
	if err != nil && errs.KindOf(err) != errs.KindNotFound {
		return nil, err
	}
	return &ClientDetail{Inbound: in, Client: c, Traffic: tr}, nil
}
