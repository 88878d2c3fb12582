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
	if key == name {
		return true
	}
	if isASCII(key) && isASCII(name) {
		return strings.EqualFold(key, name) // what both folds are on ASCII
	}
	return strings.EqualFold(key, name) || jsonFold(key) == jsonFold(name)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
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
	if len(bytes.TrimSpace(raw)) == 0 || !json.Valid(raw) {
		return nil
	}
	w := keyWalker{b: raw}
	if spelling {
		w.names = panelKeys()
	}
	_, kerr := w.value(skipSpace(raw, 0))
	return kerr
}

// keyWalker checks every object of one valid JSON document. It scans the
// bytes (no decoding of values): settings with 20,000 clients are checked
// on every write.
type keyWalker struct {
	b     []byte
	names []string // spelled exactly (nil: only clashes are refused)
	path  []step   // where the value being read sits
	seen  []string // keys of the objects being read, innermost last
}

// step is one key (index < 0) or array index of a path.
type step struct {
	key   string
	index int
}

func (w *keyWalker) fail(msg string) *KeyError {
	var b strings.Builder
	for n, st := range w.path {
		switch {
		case st.index >= 0:
			b.WriteString("[" + strconv.Itoa(st.index) + "]")
		case n > 0:
			b.WriteString("." + st.key)
		default:
			b.WriteString(st.key)
		}
	}
	return &KeyError{Path: b.String(), Msg: msg}
}

// value checks the value at b[i] and returns the index past it.
func (w *keyWalker) value(i int) (int, *KeyError) {
	switch w.b[i] {
	case '{':
		return w.object(i)
	case '[':
		i = skipSpace(w.b, i+1)
		for n := 0; w.b[i] != ']'; n++ {
			w.path = append(w.path, step{index: n})
			end, kerr := w.value(i)
			w.path = w.path[:len(w.path)-1]
			if kerr != nil {
				return 0, kerr
			}
			i = skipSpace(w.b, end)
			if w.b[i] == ',' {
				i = skipSpace(w.b, i+1)
			}
		}
		return i + 1, nil
	}
	end, _ := skipValue(w.b, i) // valid JSON: a scalar ends cleanly
	return end, nil
}

func (w *keyWalker) object(i int) (int, *KeyError) {
	base := len(w.seen)
	defer func() { w.seen = w.seen[:base] }()
	i = skipSpace(w.b, i+1)
	for w.b[i] != '}' {
		end, _ := skipString(w.b, i)
		key := string(w.b[i+1 : end-1])
		if bytes.IndexByte(w.b[i+1:end-1], '\\') >= 0 {
			_ = json.Unmarshal(w.b[i:end], &key) // the key Xray sees
		}
		w.path = append(w.path, step{key: key, index: -1})
		ascii := isASCII(key)
		for _, prev := range w.seen[base:] {
			if ascii && len(prev) != len(key) && isASCII(prev) {
				continue // ASCII keys fold only to keys of their length
			}
			if SameKey(key, prev) {
				return 0, w.fail(fmt.Sprintf("%q and %q are the same key to Xray (it matches keys case-insensitively): keep one", prev, key))
			}
		}
		w.seen = append(w.seen, key)
		for _, name := range w.names { // all ASCII
			if ascii && len(name) != len(key) {
				continue
			}
			if key != name && SameKey(key, name) {
				return 0, w.fail(fmt.Sprintf("write %q as %q", key, name))
			}
		}
		i = skipSpace(w.b, end)
		i = skipSpace(w.b, i+1) // past ':'
		end, kerr := w.value(i)
		if kerr != nil {
			return 0, kerr
		}
		w.path = w.path[:len(w.path)-1]
		i = skipSpace(w.b, end)
		if w.b[i] == ',' {
			i = skipSpace(w.b, i+1)
		}
	}
	return i + 1, nil
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
