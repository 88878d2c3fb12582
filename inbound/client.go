package inbound

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
)

// Client is the one client type, shared with the live API (xray/users).
type Client = users.Client

// ClientWithTraffic is one row of a paged client listing.
type ClientWithTraffic struct {
	Client
	InboundId int                 `json:"inboundId"`
	Traffic   *xray.ClientTraffic `json:"traffic"`
}

// clientKeyField names the settings field that identifies a client in the
// delClient/updateClient routes: the UUID, the trojan password, or the email.
func clientKeyField(p model.Protocol) string { return users.KeyField(string(p)) }

// sameKey compares client keys: UUIDs case-insensitively (Xray parses them
// so), passwords and the rest exactly.
func sameKey(p model.Protocol, a, b string) bool {
	if clientKeyField(p) == "password" {
		return a == b
	}
	return strings.EqualFold(a, b)
}

// decodeClient reads one raw client; a missing "enable" means enabled.
func decodeClient(raw json.RawMessage) (Client, error) {
	c, err := users.Decode(raw)
	if err != nil {
		return *c, errs.Invalid(err.Field, "%s", err.Msg)
	}
	return *c, nil
}

// ParseInboundClients returns the clients of an inbound's settings JSON.
func ParseInboundClients(settings string) ([]Client, error) {
	doc, err := parseStoredSettings(settings)
	if err != nil {
		return nil, err
	}
	raws, err := doc.clientList()
	if err != nil {
		return nil, err
	}
	out := make([]Client, 0, len(raws))
	for _, raw := range raws {
		c, err := decodeClient(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// settingsDoc is an inbound's settings JSON with the clients array kept raw,
// so large inbounds are not re-encoded client by client and unknown fields
// survive untouched.
type settingsDoc struct {
	fields  map[string]json.RawMessage
	clients []json.RawMessage // nil until split
	split   bool
}

// parseSettings reads settings JSON from a request: fully validated.
func parseSettings(settings string) (*settingsDoc, error) {
	if strings.TrimSpace(settings) == "" {
		return &settingsDoc{fields: map[string]json.RawMessage{}}, nil
	}
	b := []byte(settings)
	if !json.Valid(b) {
		return nil, errs.Invalid("settings", "must be a JSON object")
	}
	fields, err := splitObject(b)
	if err != nil {
		return nil, errs.Invalid("settings", "must be a JSON object")
	}
	return &settingsDoc{fields: fields}, nil
}

// parseStoredSettings reads settings JSON from the database, which was
// validated when written, so only its structure is scanned; anything odd
// falls back to the validating parser.
func parseStoredSettings(settings string) (*settingsDoc, error) {
	if fields, err := splitObject([]byte(settings)); err == nil {
		return &settingsDoc{fields: fields}, nil
	}
	return parseSettings(settings)
}

// clientList splits settings.clients into one raw message per client.
func (d *settingsDoc) clientList() ([]json.RawMessage, error) {
	if d.split {
		return d.clients, nil
	}
	raw := bytes.TrimSpace(d.fields["clients"])
	if len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		list, err := splitArray(raw)
		if err != nil {
			return nil, errs.Invalid("settings", "clients must be an array of objects")
		}
		for _, c := range list {
			if len(c) == 0 || c[0] != '{' {
				return nil, errs.Invalid("settings", "clients must be an array of objects")
			}
		}
		d.clients = list
	}
	d.split = true
	return d.clients, nil
}

// setClients replaces the clients array.
func (d *settingsDoc) setClients(clients []json.RawMessage) {
	d.clients = clients
	d.split = true
}

// appendClients adds clients without splitting the existing array.
func (d *settingsDoc) appendClients(extra []json.RawMessage) {
	if d.split {
		d.clients = append(d.clients, extra...)
		return
	}
	var buf bytes.Buffer
	old := bytes.TrimSpace(d.fields["clients"])
	if len(old) >= 2 && old[0] == '[' && !bytes.Equal(bytes.TrimSpace(old[1:len(old)-1]), nil) {
		buf.Write(old[:len(old)-1])
		buf.WriteByte(',')
	} else {
		buf.WriteByte('[')
	}
	writeJoined(&buf, extra)
	buf.WriteByte(']')
	d.fields["clients"] = buf.Bytes()
}

// str reads a top-level string field ("" when absent or not a string).
func (d *settingsDoc) str(key string) string {
	var s string
	if raw, ok := d.fields[key]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// encode writes the document back. Values are raw JSON that came from a
// successful parse or from json.Marshal, so they are written as they are;
// re-compacting megabytes of clients on every write is the slow part.
func (d *settingsDoc) encode() (string, error) {
	if d.split {
		var buf bytes.Buffer
		buf.WriteByte('[')
		writeJoined(&buf, d.clients)
		buf.WriteByte(']')
		d.fields["clients"] = buf.Bytes()
	}
	keys := make([]string, 0, len(d.fields))
	size := 2
	for k, v := range d.fields {
		keys = append(keys, k)
		size += len(k) + len(v) + 4
	}
	sort.Strings(keys)
	var out strings.Builder
	out.Grow(size)
	out.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			out.WriteByte(',')
		}
		name, err := json.Marshal(k)
		if err != nil {
			return "", fmt.Errorf("encode settings: %w", err)
		}
		out.Write(name)
		out.WriteByte(':')
		out.Write(d.fields[k])
	}
	out.WriteByte('}')
	return out.String(), nil
}

func writeJoined(buf *bytes.Buffer, raws []json.RawMessage) {
	for i, r := range raws {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(r)
	}
}

// clientIdent is the cheap-to-decode part of a stored client.
type clientIdent struct {
	ID       string `json:"id"`
	Password string `json:"password"`
	Email    string `json:"email"`
}

func (c clientIdent) key(p model.Protocol) string {
	switch clientKeyField(p) {
	case "password":
		return c.Password
	case "email":
		return c.Email
	default:
		return c.ID
	}
}

// idents lists the identities of the document's clients.
func (d *settingsDoc) idents() ([]clientIdent, error) {
	raws, err := d.clientList()
	if err != nil {
		return nil, err
	}
	return identsOf(raws)
}

func identsOf(raws []json.RawMessage) ([]clientIdent, error) {
	out := make([]clientIdent, len(raws))
	for i, raw := range raws {
		id := &out[i]
		err := scanObject(raw, func(key string, value []byte) {
			switch key {
			case "id":
				id.ID = jsonString(value)
			case "password":
				id.Password = jsonString(value)
			case "email":
				id.Email = jsonString(value)
			}
		})
		if err != nil {
			return nil, errs.Invalid("settings", "client %d is not a valid object", i+1)
		}
	}
	return out, nil
}

// jsonString decodes a raw JSON string ("" for anything else).
func jsonString(raw []byte) string {
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw[1:len(raw)-1], '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// patchClient sets fields of one raw client, keeping every other field.
func patchClient(raw json.RawMessage, set map[string]any) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	m := map[string]any{}
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode client: %w", err)
	}
	for k, v := range set {
		m[k] = v
	}
	return json.Marshal(m)
}

// normalizeClient re-encodes a new client with "enable" defaulted to true.
func normalizeClient(raw json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	m := map[string]any{}
	if err := dec.Decode(&m); err != nil {
		return nil, errs.Invalid("settings", "client is not a JSON object")
	}
	if _, ok := m["enable"]; !ok {
		m["enable"] = true
	}
	return json.Marshal(m)
}

// clientTrafficRow is the client_traffics row that mirrors client c.
func clientTrafficRow(inboundID int, c *Client) xray.ClientTraffic {
	return xray.ClientTraffic{
		InboundId:  inboundID,
		Enable:     c.Enable,
		Email:      c.Email,
		Total:      c.TotalGB,
		ExpiryTime: c.ExpiryTime,
		Reset:      c.Reset,
	}
}
