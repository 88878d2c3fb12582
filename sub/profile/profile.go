package profile

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
)

// Node is one live node that serves every inbound at its public address.
type Node struct {
	ID      string `json:"nodeId"`
	Address string `json:"address"`
}

// Client is the part of a stored client a subscription needs.
type Client struct {
	ID         string `json:"id"`
	Password   string `json:"password"`
	Flow       string `json:"flow"`
	Method     string `json:"method"`
	Security   string `json:"security"`
	Email      string `json:"email"`
	TotalGB    int64  `json:"totalGB"`
	ExpiryTime int64  `json:"expiryTime"`
	Enable     bool   `json:"enable"`
	SubID      string `json:"subId"`
}

// Entry is one connectable profile: one client of one inbound at one host.
type Entry struct {
	Protocol model.Protocol
	Remark   string
	Address  string
	Port     int
	Node     string // node id, "" on a single node
	Client   Client
	// Shadowsocks: the cipher and, for 2022 ciphers, the inbound's key.
	Method    string
	ServerKey string
	Stream    Stream
	// Tag is a stable, unique name for the entry (format renderers use it
	// where the remark may repeat).
	Tag string
}

// SSPassword is the password a Shadowsocks client sends: for 2022 ciphers
// with a server key, "serverKey:userKey".
func (e Entry) SSPassword() string {
	if strings.HasPrefix(e.Method, "2022-") && e.ServerKey != "" && e.ServerKey != e.Client.Password {
		return e.ServerKey + ":" + e.Client.Password
	}
	return e.Client.Password
}

// Usage is the traffic and limits of a subId, summed over its clients.
type Usage struct {
	Up         int64    `json:"upload"`
	Down       int64    `json:"download"`
	Total      int64    `json:"total"`      // bytes, 0 = unlimited
	Expire     int64    `json:"expire"`     // unix seconds, 0 = never
	LastOnline int64    `json:"lastOnline"` // unix ms, 0 = never
	Emails     []string `json:"emails"`
}

// Subscription is everything one subId gets.
type Subscription struct {
	SubID   string
	Entries []Entry
	Usage   Usage
}

// Options shape the entries.
type Options struct {
	// Host is used when there are no nodes (single-node install).
	Host string
	// RemarkModel is 3x-ui's remarkModel: a separator, then any of
	// i (inbound remark), e (email), o (remaining traffic and days).
	RemarkModel string
	Now         time.Time
}

// readSettings decodes what Collect reads of an inbound's settings; false
// when they are not an object with string method/password and an array of
// clients (such an inbound is skipped).
func readSettings(settings string) (method, serverKey string, clients []json.RawMessage, ok bool) {
	fields, err := users.ParseSettings([]byte(settings))
	if err != nil {
		return "", "", nil, false
	}
	method, okM := fields.String("method")
	serverKey, okP := fields.String("password")
	clients, err = fields.ClientValues()
	return method, serverKey, clients, okM && okP && err == nil
}

// clientOf reads one raw client the way a subscription needs it: a client
// with a wrong type in a field listed here is left out, a wrong type in a
// field the subscription does not read is not.
func clientOf(raw json.RawMessage) (Client, bool) {
	u, ok := users.DecodeView(raw, "id", "password", "flow", "method", "security", "email", "totalGB", "expiryTime", "enable", "subId")
	if !ok {
		return Client{}, false
	}
	return Client{
		ID: u.ID, Password: u.Password, Flow: u.Flow, Method: u.Method, Security: u.Security,
		Email: u.Email, TotalGB: u.TotalGB, ExpiryTime: u.ExpiryTime, Enable: u.Enable, SubID: u.SubID,
	}, true
}

// Collect finds every enabled client with subID across enabled inbounds
// and gives one entry per node (or one at opts.Host). It returns nil when
// the subId has no enabled client.
func Collect(inbounds []*model.Inbound, nodes []Node, subID string, opts Options) *Subscription {
	if subID == "" {
		return nil
	}
	sorted := append([]*model.Inbound(nil), inbounds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Id < sorted[j].Id })
	nodes = append([]Node(nil), nodes...)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
	if len(nodes) == 0 {
		nodes = []Node{{Address: opts.Host}}
	}
	sub := &Subscription{SubID: subID}
	for _, in := range sorted {
		// Cheap pre-filter: most inbounds do not mention the subId at all.
		if in == nil || !in.Enable || !strings.Contains(in.Settings, subID) {
			continue
		}
		stream, err := ParseStream(in.StreamSettings)
		if err != nil {
			continue
		}
		method, serverKey, clients, ok := readSettings(in.Settings)
		if !ok {
			continue
		}
		stats := map[string]xray.ClientTraffic{}
		for _, st := range in.ClientStats {
			stats[strings.ToLower(st.Email)] = st
		}
		for _, raw := range clients {
			c, ok := clientOf(raw)
			if !ok || c.SubID != subID || !c.Enable {
				continue
			}
			st, hasStats := stats[strings.ToLower(c.Email)]
			if hasStats && !st.Enable {
				continue // disabled by quota or expiry
			}
			sub.addUsage(c, st, hasStats)
			for _, n := range nodes {
				e := Entry{
					Protocol: in.Protocol, Address: n.Address, Port: in.Port, Node: n.ID,
					Client: c, Method: firstNonEmpty(c.Method, method), ServerKey: serverKey,
					Stream: stream,
				}
				e.Remark = remark(opts.RemarkModel, in.Remark, n.ID, c, st, opts.Now)
				e.Tag = fmt.Sprintf("%s-%d", c.Email, in.Id)
				if n.ID != "" {
					e.Tag += "@" + n.ID
				}
				sub.Entries = append(sub.Entries, e)
			}
		}
	}
	if len(sub.Usage.Emails) == 0 {
		return nil
	}
	return sub
}

func (s *Subscription) addUsage(c Client, st xray.ClientTraffic, hasStats bool) {
	u := &s.Usage
	u.Emails = append(u.Emails, c.Email)
	if hasStats {
		u.Up += st.Up
		u.Down += st.Down
		u.LastOnline = max(u.LastOnline, st.LastOnline)
	}
	u.Total += c.TotalGB
	exp := c.ExpiryTime
	if hasStats && st.ExpiryTime != 0 {
		exp = st.ExpiryTime
	}
	if exp > 0 && (u.Expire == 0 || exp/1000 < u.Expire) {
		u.Expire = exp / 1000
	}
}

// remark builds the display name from the remark model; the node joins
// the inbound remark so every node's link is told apart.
func remark(modelStr, inboundRemark, node string, c Client, st xray.ClientTraffic, now time.Time) string {
	if modelStr == "" {
		modelStr = "-ieo"
	}
	sep, order := modelStr[:1], modelStr[1:]
	var parts []string
	for _, r := range order {
		switch r {
		case 'i':
			name := inboundRemark
			if node != "" {
				name = strings.TrimSpace(name + " @" + node)
			}
			if name != "" {
				parts = append(parts, name)
			}
		case 'e':
			if c.Email != "" {
				parts = append(parts, c.Email)
			}
		case 'o':
			if info := extraInfo(c, st, now); info != "" {
				parts = append(parts, info)
			}
		}
	}
	if !strings.ContainsRune(order, 'i') && node != "" {
		parts = append(parts, "@"+node)
	}
	return strings.Join(parts, sep)
}

// extraInfo is the remaining traffic and days, when limited.
func extraInfo(c Client, st xray.ClientTraffic, now time.Time) string {
	var out []string
	if c.TotalGB > 0 {
		left := max(c.TotalGB-st.Up-st.Down, 0)
		out = append(out, FormatBytes(left))
	}
	exp := c.ExpiryTime
	if st.ExpiryTime != 0 {
		exp = st.ExpiryTime
	}
	if exp > 0 && !now.IsZero() {
		days := int(time.UnixMilli(exp).Sub(now).Hours() / 24)
		out = append(out, fmt.Sprintf("%dD", max(days, 0)))
	}
	return strings.Join(out, ",")
}

// FormatBytes prints a byte count with a binary unit (1.50GB).
func FormatBytes(n int64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	return fmt.Sprintf("%.2f%s", f, units[i])
}
