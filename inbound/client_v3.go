package inbound

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

// V3Client is a client in 3x-ui v3.6's clients-table shape (its
// ClientRecord JSON), built from today's model: the client lives in one
// inbound's settings, so id is its client_traffics row id, uuid is the
// inbound JSON's id, and the WireGuard/Hysteria/MTProto columns are empty
// (those protocols are not served here).
type V3Client struct {
	Id           int             `json:"id"`
	Email        string          `json:"email"`
	SubID        string          `json:"subId"`
	UUID         string          `json:"uuid"`
	Password     string          `json:"password"`
	Auth         string          `json:"auth"`
	Flow         string          `json:"flow"`
	Security     string          `json:"security"`
	Reverse      json.RawMessage `json:"reverse"`
	PrivateKey   string          `json:"privateKey"`
	PublicKey    string          `json:"publicKey"`
	AllowedIPs   string          `json:"allowedIPs"`
	PreSharedKey string          `json:"preSharedKey"`
	KeepAlive    int             `json:"keepAlive"`
	Secret       string          `json:"secret"`
	AdTag        string          `json:"adTag"`
	LimitIP      int             `json:"limitIp"`
	TotalGB      int64           `json:"totalGB"`
	ExpiryTime   int64           `json:"expiryTime"`
	Enable       bool            `json:"enable"`
	TgID         int64           `json:"tgId"`
	Group        string          `json:"group"`
	Comment      string          `json:"comment"`
	Reset        int             `json:"reset"`
	CreatedAt    int64           `json:"createdAt"`
	UpdatedAt    int64           `json:"updatedAt"`
}

// V3Traffic is v3's client_traffics JSON (no allTime; uuid and subId
// joined from the client).
type V3Traffic struct {
	Id         int    `json:"id"`
	InboundId  int    `json:"inboundId"`
	Enable     bool   `json:"enable"`
	Email      string `json:"email"`
	UUID       string `json:"uuid"`
	SubId      string `json:"subId"`
	Up         int64  `json:"up"`
	Down       int64  `json:"down"`
	ExpiryTime int64  `json:"expiryTime"`
	Total      int64  `json:"total"`
	Reset      int    `json:"reset"`
	LastOnline int64  `json:"lastOnline"`
}

// V3ClientEntry is one client of v3's clients/list: the row, its inbounds
// (exactly one today) and its traffic.
type V3ClientEntry struct {
	V3Client
	InboundIds []int      `json:"inboundIds"`
	Traffic    *V3Traffic `json:"traffic,omitempty"`
}

// V3Portable is v3's {client, inboundIds} of export, import, add and
// bulkCreate; client is in inbound-JSON keys.
type V3Portable struct {
	Client     json.RawMessage `json:"client"`
	InboundIds []int           `json:"inboundIds"`
}

// v3Extra reads the keys v3 keeps beside the ones Client decodes.
type v3Extra struct {
	Reverse   json.RawMessage `json:"reverse"`
	Group     string          `json:"group"`
	CreatedAt int64           `json:"created_at"`
	UpdatedAt int64           `json:"updated_at"`
}

func v3ClientOf(raw json.RawMessage, c *Client, row *model.ClientTraffic) V3Client {
	var x v3Extra
	_ = json.Unmarshal(raw, &x)
	reverse := json.RawMessage("null")
	if len(x.Reverse) > 0 && x.Reverse[0] == '{' {
		reverse = x.Reverse
	}
	tg, _ := strconv.ParseInt(strings.Trim(string(c.TgID), `"`), 10, 64)
	v := V3Client{
		Email: c.Email, SubID: c.SubID, Flow: c.Flow, Security: c.Security, Reverse: reverse,
		LimitIP: c.LimitIP, TotalGB: c.TotalGB, ExpiryTime: c.ExpiryTime, Enable: c.Enable, TgID: tg,
		Group: x.Group, Comment: c.Comment, Reset: c.Reset, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt,
	}
	if c.ID != "" {
		v.UUID = c.ID
	}
	v.Password = c.Password
	if row != nil {
		v.Id = row.Id
	}
	return v
}

func v3TrafficOf(row *model.ClientTraffic, c *Client) *V3Traffic {
	if row == nil {
		return nil
	}
	return &V3Traffic{Id: row.Id, InboundId: row.InboundId, Enable: row.Enable, Email: row.Email, UUID: c.ID,
		SubId: c.SubID, Up: row.Up, Down: row.Down, ExpiryTime: row.ExpiryTime, Total: row.Total,
		Reset: row.Reset, LastOnline: row.LastOnline}
}

// V3Clients lists every client in v3's clients/list shape, kept by keep
// (nil: all), ordered by inbound and position.
func (s *Store) V3Clients(keep func(email string) bool) ([]V3ClientEntry, error) {
	inbounds, err := s.GetAllInbounds()
	if err != nil {
		return nil, err
	}
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var rows []model.ClientTraffic
	if err := conn.Find(&rows).Error; err != nil {
		return nil, err
	}
	byEmail := make(map[string]*model.ClientTraffic, len(rows))
	for i := range rows {
		byEmail[strings.ToLower(rows[i].Email)] = &rows[i]
	}
	out := []V3ClientEntry{}
	for _, in := range inbounds {
		doc, err := parseStoredSettings(in.Settings)
		if err != nil {
			continue // a hand-broken inbound lists no clients rather than failing the list
		}
		raws, _ := doc.clientList()
		for _, raw := range raws {
			c, err := decodeClient(raw)
			if err != nil || (keep != nil && !keep(c.Email)) {
				continue
			}
			row := byEmail[strings.ToLower(c.Email)]
			out = append(out, V3ClientEntry{V3Client: v3ClientOf(raw, &c, row), InboundIds: []int{in.Id}, Traffic: v3TrafficOf(row, &c)})
		}
	}
	return out, nil
}

// V3Client finds one client by email (case-insensitively) with its raw
// inbound JSON and inbound id.
func (s *Store) V3Client(email string) (*V3ClientEntry, json.RawMessage, error) {
	in, c, err := s.GetClientByEmail(email)
	if err != nil {
		return nil, nil, err
	}
	doc, err := parseStoredSettings(in.Settings)
	if err != nil {
		return nil, nil, err
	}
	raws, err := doc.clientList()
	if err != nil {
		return nil, nil, err
	}
	var raw json.RawMessage
	for _, r := range raws {
		if id, err := identsOf([]json.RawMessage{r}); err == nil && strings.EqualFold(id[0].Email, email) {
			raw = r
		}
	}
	row, err := s.GetClientTrafficByEmail(email)
	if err != nil && errs.KindOf(err) != errs.KindNotFound {
		return nil, nil, err
	}
	return &V3ClientEntry{V3Client: v3ClientOf(raw, c, row), InboundIds: []int{in.Id}, Traffic: v3TrafficOf(row, c)}, raw, nil
}

// V3Export is every client as {client, inboundIds}, the shape import and
// bulkCreate take back.
func (s *Store) V3Export(keep func(email string) bool) ([]V3Portable, error) {
	inbounds, err := s.GetAllInbounds()
	if err != nil {
		return nil, err
	}
	out := []V3Portable{}
	for _, in := range inbounds {
		doc, err := parseStoredSettings(in.Settings)
		if err != nil {
			continue
		}
		raws, _ := doc.clientList()
		ids, err := identsOf(raws)
		if err != nil {
			continue
		}
		for i, raw := range raws {
			if keep == nil || keep(ids[i].Email) {
				out = append(out, V3Portable{Client: raw, InboundIds: []int{in.Id}})
			}
		}
	}
	return out, nil
}

// DelDepletedCount is DelDepletedClients answering how many clients it
// deleted (v3's clients/delDepleted reports {deleted}).
func (s *Store) DelDepletedCount(inboundId int) (int, error) {
	n := 0
	e := audit.Entry{Action: "client.deleteDepleted", TargetKind: "inbound", TargetID: inboundTarget(inboundId)}
	err := s.writeLogged(e, func(tx *gorm.DB, _ int64, e *audit.Entry) ([]model.SharedChange, error) {
		err := delDepleted(tx, inboundId, e)
		n = len(e.Changes)
		return nil, err
	})
	return n, err
}

// SetClientTraffic sets one client's up and down counters (v3's
// clients/updateTraffic).
func (s *Store) SetClientTraffic(email string, up, down int64) error {
	if up < 0 {
		return errs.Invalid("upload", "must not be negative, got %d", up)
	}
	if down < 0 {
		return errs.Invalid("download", "must not be negative, got %d", down)
	}
	e := audit.Entry{Action: "client.updateTraffic", TargetKind: "client", TargetID: email,
		Changes: []audit.Change{{Field: "up", After: up}, {Field: "down", After: down}}}
	return s.write(e, func(tx *gorm.DB) error {
		res := tx.Model(&model.ClientTraffic{}).Where("email = ?", email).Updates(map[string]any{"up": up, "down": down})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.NotFound("email", "no client with email %q", email)
		}
		return nil
	})
}
