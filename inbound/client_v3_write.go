package inbound

import (
	"encoding/json"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
)

// CheckOneInbound enforces today's model on v3's inboundIds: a client
// lives in exactly one inbound, so one id is accepted and more are refused
// (clients across inbounds are issue 24's future clients table).
func CheckOneInbound(ids []int) (int, error) {
	switch {
	case len(ids) == 0:
		return 0, errs.Invalid("inboundIds", "at least one inbound id is required")
	case len(ids) > 1:
		return 0, errs.Invalid("inboundIds", "clients across inbounds are not yet supported: give exactly one inbound id, got %d", len(ids))
	case ids[0] <= 0:
		return 0, errs.Invalid("inboundIds", "%d is not an inbound id", ids[0])
	}
	return ids[0], nil
}

// fromV3Record turns a client in v3's record shape into inbound JSON:
// uuid becomes id, the numeric record id and the record-only keys go, a
// null reverse and a zero tgId (v3's "none") are dropped. The record-only
// keys are empty here (WireGuard, Hysteria and MTProto are not served), so
// a script sending get/:email's client back loses nothing.
func fromV3Record(c map[string]any) {
	recordOnly := []string{"uuid", "auth", "privateKey", "publicKey", "allowedIPs", "preSharedKey",
		"keepAlive", "secret", "adTag", "createdAt", "updatedAt"}
	if _, isString := c["id"].(string); !isString {
		delete(c, "id")
	}
	if u, _ := c["uuid"].(string); u != "" {
		if id, _ := c["id"].(string); id == "" {
			c["id"] = u
		}
	}
	for _, k := range recordOnly {
		delete(c, k)
	}
	if r, ok := c["reverse"]; ok && r == nil {
		delete(c, "reverse")
	}
	if tg, ok := c["tgId"].(float64); ok && tg == 0 {
		delete(c, "tgId")
	}
}

// fillV3Client completes a client the way v3's clients/add does: enabled,
// a subscription id, and the credentials of the inbound's protocol when
// missing (a UUID, a random trojan password, a key of the Shadowsocks
// method's size).
func fillV3Client(in *model.Inbound, method string, c map[string]any) {
	c["enable"] = true
	if s, _ := c["subId"].(string); s == "" {
		c["subId"] = newUUID()
	}
	missing := func(k string) bool { s, _ := c[k].(string); return s == "" }
	switch in.Protocol {
	case model.VLESS, model.VMESS:
		if missing("id") {
			c["id"] = newUUID()
		}
	case model.Trojan:
		if missing("password") {
			c["password"] = randomHex(12)
		}
	case model.Shadowsocks:
		if missing("password") {
			c["password"] = shadowsocksKey(method)
		}
	}
}

// AddV3Clients adds clients (v3's client objects) to one inbound in one
// write through AddInboundClient, after filling them as v3 does.
func (s *Store) AddV3Clients(inboundID int, clients []map[string]any) error {
	in, err := s.GetInbound(inboundID)
	if err != nil {
		return err
	}
	method := ""
	if doc, err := parseStoredSettings(in.Settings); err == nil {
		method = doc.str("method")
	}
	for _, c := range clients {
		if c == nil {
			return errs.Invalid("client", "is required (an object)")
		}
		fromV3Record(c)
		fillV3Client(in, method, c)
	}
	text, err := json.Marshal(map[string]any{"clients": clients})
	if err != nil {
		return err
	}
	return s.AddInboundClient(&model.Inbound{Id: inboundID, Settings: string(text)})
}

// UpdateV3Client replaces the client with email by c (v3's update/:email
// takes the whole client), keeping its stored credentials where c leaves
// them out. only, when set, is v3's ?inboundIds filter: it must name the
// client's inbound.
func (s *Store) UpdateV3Client(email string, c map[string]any, only []int) error {
	if c == nil {
		return errs.Invalid("body", "send the client as a JSON object")
	}
	in, cur, err := s.GetClientByEmail(email)
	if err != nil {
		return err
	}
	if len(only) > 0 {
		id, err := CheckOneInbound(only)
		if err != nil {
			return err
		}
		if id != in.Id {
			return errs.Invalid("inboundIds", "client %q is on inbound %d, not %d", email, in.Id, id)
		}
	}
	fromV3Record(c)
	keep := map[string]string{"id": cur.ID, "password": cur.Password, "subId": cur.SubID}
	for k, v := range keep {
		if s, _ := c[k].(string); s == "" && v != "" {
			c[k] = v
		}
	}
	if e, _ := c["email"].(string); strings.TrimSpace(e) == "" {
		c["email"] = cur.Email
	}
	text, err := json.Marshal(map[string]any{"clients": []any{c}})
	if err != nil {
		return err
	}
	return s.UpdateInboundClient(&model.Inbound{Id: in.Id, Settings: string(text)}, cur.Key(string(in.Protocol)))
}

// DelV3Client deletes the client with email from its inbound.
func (s *Store) DelV3Client(email string) error {
	in, _, err := s.GetClientByEmail(email)
	if err != nil {
		return err
	}
	return s.DelInboundClientByEmail(in.Id, email)
}

// ClientInbound is the id of the inbound holding the client with email.
func (s *Store) ClientInbound(email string) (int, error) {
	row, err := s.GetClientTrafficByEmail(email)
	if err != nil {
		return 0, err
	}
	return row.InboundId, nil
}
