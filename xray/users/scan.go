package users

import (
	"bytes"
	"encoding/json"
	"errors"
)

// A small structural JSON splitter. Inbounds with tens of thousands of
// clients carry megabytes of settings JSON; encoding/json validates and
// copies all of it several times just to find where "clients" ends. These
// helpers only find value boundaries (strings, nesting), so callers must
// either pass JSON already known to be valid or check it with json.Valid
// (ParseSettings does; ParseStoredSettings trusts what was validated when
// it was written).

var errJSONShape = errors.New("malformed JSON")

func isJSONSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errJSONShape
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errJSONShape
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end, err := skipString(b, i)
				if err != nil {
					return 0, err
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
		}
		return 0, errJSONShape
	default:
		j := i
		for j < len(b) && !isJSONSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
			j++
		}
		if j == i {
			return 0, errJSONShape
		}
		return j, nil
	}
}

// splitObject maps each top-level key of a JSON object to its raw value.
// The values alias b.
func splitObject(b []byte) (map[string]json.RawMessage, error) {
	fields := map[string]json.RawMessage{}
	err := scanObject(b, func(key string, value []byte) { fields[key] = value })
	if err != nil {
		return nil, err
	}
	return fields, nil
}

// scanObject calls fn for each top-level key and raw value of an object.
func scanObject(b []byte, fn func(key string, value []byte)) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errJSONShape
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return trailingSpaceOnly(b, i+1)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return errJSONShape
		}
		end, err := skipString(b, i)
		if err != nil {
			return err
		}
		var key string
		if bytes.IndexByte(b[i+1:end-1], '\\') < 0 {
			key = string(b[i+1 : end-1])
		} else if err := json.Unmarshal(b[i:end], &key); err != nil {
			return errJSONShape
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return errJSONShape
		}
		i = skipSpace(b, i+1)
		vEnd, err := skipValue(b, i)
		if err != nil {
			return err
		}
		fn(key, b[i:vEnd:vEnd])
		i = skipSpace(b, vEnd)
		if i >= len(b) {
			return errJSONShape
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return trailingSpaceOnly(b, i+1)
		default:
			return errJSONShape
		}
	}
}

// splitArray returns the raw elements of a JSON array; they alias b.
func splitArray(b []byte) ([]json.RawMessage, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, errJSONShape
	}
	var out []json.RawMessage
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, trailingSpaceOnly(b, i+1)
	}
	for {
		end, err := skipValue(b, i)
		if err != nil {
			return nil, err
		}
		out = append(out, b[i:end:end])
		i = skipSpace(b, end)
		if i >= len(b) {
			return nil, errJSONShape
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return out, trailingSpaceOnly(b, i+1)
		default:
			return nil, errJSONShape
		}
	}
}

func trailingSpaceOnly(b []byte, i int) error {
	if skipSpace(b, i) != len(b) {
		return errJSONShape
	}
	return nil
}
