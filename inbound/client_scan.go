package inbound

import (
	"bytes"
	"encoding/json"
)

// containsFold reports whether the JSON string value (quoted) occurs in b,
// ASCII case-insensitively. It jumps from quote to quote, so it costs about
// one pass over b with no copy.
func containsFold(b []byte, value string) bool {
	needle, _ := json.Marshal(value)
	if len(needle) < 2 {
		return false
	}
	second := lowerASCII(needle[1])
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return false
		}
		i += j
		if i+len(needle) > len(b) {
			return false
		}
		if lowerASCII(b[i+1]) == second && bytes.EqualFold(b[i:i+len(needle)], needle) {
			return true
		}
		i++
	}
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
