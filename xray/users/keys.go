package users

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Xray decodes its config with encoding/json into structs, so an object
// key reaches a field whatever its letter case: "Clients", "clientſ"
// (U+017F folds to s) and "client\u0073" all fill the "clients" field, and
// of several such keys the last one wins. A reader that looks keys up
// exactly would see a different config than Xray runs. The functions
// below let the panel read keys as Xray does and refuse writes whose keys
// could be read two ways (docs/security.md, "Object keys").

// SameKey reports whether encoding/json (and so Xray) may decode the
// object key key into a struct field whose JSON name is name. key is the
// decoded key (escapes resolved, as a map or json.Decoder yields it).
func SameKey(key, name string) bool {
	return key == name || strings.EqualFold(key, name) || jsonFold(key) == jsonFold(name)
}

// jsonFold is encoding/json's own folding of a field name (Go 1.21+:
// ASCII upper case, and unicode.ToUpper(unicode.ToLower(r)) otherwise).
func jsonFold(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			continue
		}
		b.WriteRune(unicode.ToUpper(unicode.ToLower(r)))
	}
	return b.String()
}

// panelKeys are the names the panel reads by their exact spelling (the
// settings' "clients", "method" and "fallbacks", a fallback's "dest" and
// every client field): a key Xray reads as one of them must be spelled
// exactly so, or the panel and Xray would see different clients.
func panelKeys() []string {
	names := []string{"clients", "method", "fallbacks", "dest"}
	t := reflect.TypeOf(Client{})
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// KeyError names the object key a write may not hold: Path is its place
// inside the checked JSON ("fallbacks[0].Dest").
type KeyError struct {
	Path string
	Msg  string
}

func (e *KeyError) Error() string { return e.Path + ": " + e.Msg }

// KeyClash is the first half of CheckKeys alone: it finds an object with
// two keys Xray reads as one field. It is what a stored or rendered config
// (template sections, snapshots, imports) must pass; CheckKeys is for an
// inbound's own JSON as it is written.
func KeyClash(raw []byte) *KeyError {
	return checkKeys(raw, false)
}

// CheckKeys applies the key rule to one JSON document Xray reads (an
// inbound's settings, streamSettings or sniffing, or the template): no
// object holds two keys Xray reads as the same field, and a key Xray reads
// as one the panel reads exactly (clients, method, fallbacks, dest, a
// client's fields) is spelled that way. Blank input passes; malformed JSON
// is an error for the caller's own validation to name, so it passes here.
func CheckKeys(raw []byte) *KeyError {
	return checkKeys(raw, true)
}

func checkKeys(raw []byte, spelling bool) *KeyError {
	var names []string
	if spelling {
		names = panelKeys()
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	kerr, _ := walkKeys(dec, "", names)
	return kerr
}

// walkKeys reads one value from dec; path is where it sits. names must be
// spelled exactly (nil: only clashes are refused).
func walkKeys(dec *json.Decoder, path string, names []string) (*KeyError, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		var seen []string
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := kt.(string)
			here := key
			if path != "" {
				here = path + "." + key
			}
			for _, prev := range seen {
				if SameKey(key, prev) {
					return &KeyError{Path: here, Msg: fmt.Sprintf("%q and %q are the same key to Xray (it matches keys case-insensitively): keep one", prev, key)}, nil
				}
			}
			seen = append(seen, key)
			for _, name := range names {
				if key != name && SameKey(key, name) {
					return &KeyError{Path: here, Msg: fmt.Sprintf("write %q as %q", key, name)}, nil
				}
			}
			if kerr, err := walkKeys(dec, here, names); kerr != nil || err != nil {
				return kerr, err
			}
		}
		_, err = dec.Token() // '}'
		return nil, err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if kerr, err := walkKeys(dec, path+"["+strconv.Itoa(i)+"]", names); kerr != nil || err != nil {
				return kerr, err
			}
		}
		_, err = dec.Token() // ']'
		return nil, err
	}
	return nil, nil
}

// xrayClients reads the "clients" array the way Xray's settings structs
// do: the last key that folds to "clients" wins.
func xrayClients(raw []byte) (json.RawMessage, error) {
	var st struct {
		Clients json.RawMessage `json:"clients"`
	}
	err := json.Unmarshal(raw, &st)
	return st.Clients, err
}
