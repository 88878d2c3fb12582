package inbound

import (
	"bytes"
	"encoding/json"
	"errors"
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

// ParseInboundClients returns the clients of an inbound's settings JSON
// (users.DecodeClients, with its errors as errs.Invalid).
func ParseInboundClients(settings string) ([]Client, error) {
	out, err := users.DecodeClients(settings)
	if err != nil {
		return nil, invalid(err)
	}
	return out, nil
}

// invalid turns a users.FieldError into errs.Invalid naming the same field.
func invalid(err error) error {
	var fe *users.FieldError
	if errors.As(err, &fe) {
		return errs.Invalid(fe.Field, "%s", fe.Msg)
	}
	return errs.Invalid("settings", "%v", err)
}

// settingsDoc is an inbound's settings JSON with the clients array kept raw,
// so large inbounds are not re-encoded client by client and unknown fields
// survive untouched. It is the write side: reading goes through users.Fields.
type settingsDoc struct {
	fields  users.Fields
	clients []json.RawMessage // nil until split
	split   bool
}

// parseSettings reads settings JSON from a request: fully validated.
func parseSettings(settings string) (*settingsDoc, error) {
	fields, err := users.ParseSettings([]byte(settings))
	if err != nil {
		return nil, invalid(err)
	}
	return &settingsDoc{fields: fields}, nil
}

// parseStoredSettings reads settings JSON from the database.
func parseStoredSettings(settings string) (*settingsDoc, error) {
	fields, err := users.ParseStoredSettings([]byte(settings))
	if err != nil {
		return nil, invalid(err)
	}
	return &settingsDoc{fields: fields}, nil
}

// clientList splits settings.clients into one raw message per client.
func (d *settingsDoc) clientList() ([]json.RawMessage, error) {
	if d.split {
		return d.clients, nil
	}
	list, err := d.fields.Clients()
	if err != nil {
		return nil, invalid(err)
	}
	d.clients, d.split = list, true
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
	v, _ := d.fields.String(key)
	return v
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
type clientIdent = users.Ident

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
		id, err := users.DecodeIdent(raw)
		if err != nil {
			return nil, errs.Invalid("settings", "client %d is not a valid object", i+1)
		}
		out[i] = id
	}
	return out, nil
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
