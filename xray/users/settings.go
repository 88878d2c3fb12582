package users

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The one decoder of an inbound's settings JSON and its "clients" array.
// Every reader of stored clients (the inbound store, the subscription, the
// IP limit, the worker's sync, the Xray config writer and the live apply)
// goes through the functions below; tests/structure fails on a production
// struct with a `json:"clients"` tag anywhere else. It lives here, next to
// Client, because this package imports nothing of the panel: every caller
// can import it without a cycle.
//
// The views, from the strictest to the most tolerant:
//   - DecodeClients: every client typed, any malformed client is an error
//     (what every write checks, so stored clients decode).
//   - Fields + Clients / ClientValues + Decode: the settings object with its
//     clients kept raw, for a writer that must keep unknown fields, and
//     for readers that skip what they cannot use.
//   - DecodeView: one client, reading only the fields a caller needs, so a
//     wrong type in a field it does not read does not drop the client.
//   - DecodeIdent: id, password and email only, cheap for huge inbounds.
//   - DecodeObjects: the generic map form the Xray config writer edits.
//
// No view reads numbers from strings: "totalGB":"10" is a type error
// (Decode names the field), as encoding/json has it. A missing "enable"
// means enabled in every typed view. Emails are returned as stored; callers
// that match them case-insensitively lower them themselves.

// Fields is an inbound's settings object, each top-level value raw (they
// alias the input). Keys match exactly: writes refuse any other spelling
// Xray would read as one of the panel's names (CheckKeys), and the Xray
// writer (DecodeObjects) folds "clients" as Xray does for older rows.
type Fields map[string]json.RawMessage

// ParseSettings reads settings JSON that comes from a request: it is fully
// validated. Blank input is an empty object.
func ParseSettings(settings []byte) (Fields, error) {
	if len(bytes.TrimSpace(settings)) == 0 {
		return Fields{}, nil
	}
	if !json.Valid(settings) {
		return nil, fieldErr("settings", "must be a JSON object")
	}
	fields, err := splitObject(settings)
	if err != nil {
		return nil, fieldErr("settings", "must be a JSON object")
	}
	return fields, nil
}

// ParseStoredSettings reads settings JSON from the database, which was
// validated when written, so only its structure is scanned; anything odd
// falls back to the validating ParseSettings.
func ParseStoredSettings(settings []byte) (Fields, error) {
	if fields, err := splitObject(settings); err == nil {
		return fields, nil
	}
	return ParseSettings(settings)
}

// ClientValues splits the "clients" array into one raw value per entry,
// whatever each entry is; nil when "clients" is absent or null. Only a
// "clients" that is not an array is an error.
func (f Fields) ClientValues() ([]json.RawMessage, error) {
	raw := bytes.TrimSpace(f["clients"])
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	list, err := splitArray(raw)
	if err != nil {
		return nil, fieldErr("settings", "clients must be an array of objects")
	}
	return list, nil
}

// Clients is ClientValues where every entry must be an object.
func (f Fields) Clients() ([]json.RawMessage, error) {
	list, err := f.ClientValues()
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		if len(c) == 0 || c[0] != '{' {
			return nil, fieldErr("settings", "clients must be an array of objects")
		}
	}
	return list, nil
}

// String reads a top-level string field: "" and true when it is absent or
// null, false when it holds anything but a string.
func (f Fields) String(key string) (string, bool) {
	raw, ok := f[key]
	if !ok {
		return "", true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// DecodeClients returns the typed clients of an inbound's stored settings.
// A malformed settings object, a "clients" that is not an array of objects
// or a client with a field of the wrong type is an error.
func DecodeClients(settings string) ([]Client, error) {
	fields, err := ParseStoredSettings([]byte(settings))
	if err != nil {
		return nil, err
	}
	raws, err := fields.Clients()
	if err != nil {
		return nil, err
	}
	out := make([]Client, 0, len(raws))
	for _, raw := range raws {
		c, ferr := Decode(raw)
		if ferr != nil {
			return nil, ferr
		}
		out = append(out, *c)
	}
	return out, nil
}

// DecodeView reads one client like Decode, but only the fields named in
// need (JSON names) must have the right type: a wrong type elsewhere leaves
// that field zero and the client usable. ok is false when raw is not a JSON
// object (null counts as an empty one, as encoding/json has it) or a needed
// field has the wrong type. Field names match case-insensitively, as
// encoding/json matches them.
func DecodeView(raw []byte, need ...string) (c *Client, ok bool) {
	c, ferr := Decode(raw)
	if ferr == nil {
		return c, true
	}
	if ferr.Field == "settings" {
		return c, false // not an object at all (Client has no "settings" field)
	}
	// More than one field may be wrong and Unmarshal names only the first:
	// check each needed field on its own, matched the way Unmarshal matches.
	var loose map[string]json.RawMessage
	if json.Unmarshal(raw, &loose) != nil {
		return c, false
	}
	for _, name := range need {
		if !fieldDecodes(loose, name) {
			return c, false
		}
	}
	return c, true
}

// fieldDecodes reports whether the value Unmarshal would store in the
// Client field with JSON name name has the right type. With duplicate keys
// (in any letter case) the last one wins, as in Unmarshal; map iteration
// cannot say which came last, so any wrong duplicate fails.
func fieldDecodes(loose map[string]json.RawMessage, name string) bool {
	for key, value := range loose {
		if !strings.EqualFold(key, name) {
			continue
		}
		one, err := json.Marshal(map[string]json.RawMessage{name: value})
		if err != nil {
			return false
		}
		var probe Client
		if json.Unmarshal(one, &probe) != nil {
			return false
		}
	}
	return true
}

// Ident is the cheap-to-decode part of a stored client.
type Ident struct {
	ID       string
	Password string
	Email    string
}

// Key returns the identifying value for protocol (see KeyField).
func (i Ident) Key(protocol string) string {
	switch KeyField(protocol) {
	case "password":
		return i.Password
	case "email":
		return i.Email
	default:
		return i.ID
	}
}

// DecodeIdent reads id, password and email of one raw client without
// decoding the rest; a value that is not a string reads as "". The raw
// client must be valid JSON (as ClientValues returns it).
func DecodeIdent(raw []byte) (Ident, error) {
	var id Ident
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
		return Ident{}, fmt.Errorf("client is not a valid object: %w", err)
	}
	return id, nil
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

// DecodeObjects decodes settings JSON into the generic form the Xray config
// writer edits and re-encodes: the whole object as a map, and the entries
// of its "clients" array as they are (each a map[string]any when it is an
// object; callers decide what to do with the rest). hasClients is false
// when "clients" is absent or not an array. Empty input is an empty object.
// The clients array is the one Xray reads, whatever its key's spelling,
// and it comes back under "clients" alone.
func DecodeObjects(raw []byte) (settings map[string]any, clients []any, hasClients bool, err error) {
	settings = map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &settings); err != nil {
			return nil, nil, false, err
		}
	}
	// Xray reads "Clients" or "client\u017f" as "clients" (the last such key
	// wins): the writer must filter exactly the array Xray would serve, so
	// every spelling is folded into the one "clients" key.
	variants := 0
	for key := range settings {
		if SameKey(key, "clients") {
			variants++
		}
	}
	if _, exact := settings["clients"]; variants > 1 || (variants == 1 && !exact) {
		xc, err := xrayClients(raw)
		if err != nil {
			return nil, nil, false, err
		}
		for key := range settings {
			if SameKey(key, "clients") {
				delete(settings, key)
			}
		}
		var v any
		if err := json.Unmarshal(xc, &v); err == nil && len(xc) > 0 {
			settings["clients"] = v
		}
	}
	clients, hasClients = settings["clients"].([]any)
	return settings, clients, hasClients, nil
}
