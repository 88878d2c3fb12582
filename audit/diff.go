package audit

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Masked stands for a secret's value in a change.
const Masked = "***"

// MaxChangesBytes bounds the changes JSON of one row; a bulk write that
// changed more keeps the first changes and says how many it left out.
const MaxChangesBytes = 16 << 10

// IsSecret reports whether a field named name is masked.
func IsSecret(name string) bool {
	if i := strings.LastIndexAny(name, ".]"); i >= 0 {
		name = name[i+1:]
	}
	n := strings.ToLower(name)
	// Client credentials (id is a VLESS/VMess UUID, password Trojan or
	// Shadowsocks, auth Hysteria), the subscription id, keys and tokens.
	switch n {
	case "id", "uuid", "password", "auth", "psk", "key", "privatekey", "secret", "token", "seed", "subid":
		return true
	}
	return strings.Contains(n, "password") || strings.Contains(n, "secret") ||
		strings.Contains(n, "token") || strings.HasSuffix(n, "privatekey")
}

// mask returns v with every secret inside it (by key) masked; a secret
// key's whole value becomes Masked.
func mask(name string, v any) any {
	if v == nil {
		return nil
	}
	if IsSecret(name) {
		return Masked
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = mask(k, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = mask("", e)
		}
		return out
	}
	return v
}

// Set is the change of a field set to after (an add): the value masked.
func Set(field string, after any) Change {
	return Change{Field: field, After: mask(field, after)}
}

// Unset is the change of a field removed (a delete).
func Unset(field string, before any) Change {
	return Change{Field: field, Before: mask(field, before)}
}

// Value is the change of one field from before to after, nil when equal.
func Value(field string, before, after any) *Change {
	if reflect.DeepEqual(before, after) {
		return nil
	}
	return &Change{Field: field, Before: mask(field, before), After: mask(field, after)}
}

// Diff is the changes from before to after, key by key (sorted), under
// prefix: nested objects are walked so a secret deep inside (a Reality
// private key) is masked on its own and only the leaves that changed are
// listed; arrays are compared whole; a top-level object present on one
// side only is listed key by key (see expand).
func Diff(prefix string, before, after map[string]any) []Change {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []Change
	for _, k := range sorted {
		b, hasB := before[k]
		a, hasA := after[k]
		field := prefix + k
		bm, bIsMap := b.(map[string]any)
		am, aIsMap := a.(map[string]any)
		switch {
		case bIsMap && aIsMap && !IsSecret(k):
			out = append(out, Diff(field+".", bm, am)...)
		case prefix == "" && !hasB && aIsMap && !IsSecret(k):
			out = append(out, expand(field, am, Set)...)
		case prefix == "" && !hasA && bIsMap && !IsSecret(k):
			out = append(out, expand(field, bm, Unset)...)
		case !hasB:
			out = append(out, Set(field, a))
		case !hasA:
			out = append(out, Unset(field, b))
		default:
			if c := Value(field, b, a); c != nil {
				out = append(out, *c)
			}
		}
	}
	return out
}

// expand lists a top-level object added or removed whole one key at a
// time (an added inbound's clients one per client), so a long one is cut
// between entries, not dropped, when the row's changes are bounded.
func expand(field string, m map[string]any, one func(string, any) Change) []Change {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Change, 0, len(keys))
	for _, k := range keys {
		out = append(out, one(field+"."+k, m[k]))
	}
	return out
}

// Object is v (a struct or map) as its JSON object, for Diff.
func Object(v any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return map[string]any{}
	}
	return m
}

// JSONObject parses a JSON object text ("" or invalid: empty).
func JSONObject(text string) map[string]any {
	var m map[string]any
	if json.Unmarshal([]byte(text), &m) != nil || m == nil {
		return map[string]any{}
	}
	return m
}

// encodeChanges is cs as JSON, cut to MaxChangesBytes: changes are kept
// whole, in order, and a last element says how many were left out.
func encodeChanges(cs []Change) string {
	if len(cs) == 0 {
		return "[]"
	}
	raw, err := json.Marshal(cs)
	if err == nil && len(raw) <= MaxChangesBytes {
		return string(raw)
	}
	var b strings.Builder
	b.WriteByte('[')
	kept := 0
	for _, c := range cs {
		one, err := json.Marshal(c)
		if err != nil || b.Len()+len(one)+200 > MaxChangesBytes {
			break
		}
		if kept > 0 {
			b.WriteByte(',')
		}
		b.Write(one)
		kept++
	}
	more, _ := json.Marshal(Change{Field: "…", After: fmt.Sprintf("%d more changes not recorded", len(cs)-kept)})
	if kept > 0 {
		b.WriteByte(',')
	}
	b.Write(more)
	b.WriteByte(']')
	return b.String()
}
