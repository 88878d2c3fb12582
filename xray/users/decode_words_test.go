package users

import (
	"strings"
	"testing"
)

// A wrongly typed client field is named with what it must hold in words an
// admin reads under the field, not Go's type names.
func TestDecodeTypeErrorsInWords(t *testing.T) {
	t.Parallel()
	cases := []struct{ raw, field, want string }{
		{`{"email":"a","totalGB":1.07e+23}`, "totalGB", "must be a whole number in range, got 1.07e+23"},
		{`{"email":"a","limitIp":"two"}`, "limitIp", "must be a whole number in range, got string"},
		{`{"email":"a","enable":"yes"}`, "enable", "must be true or false, got string"},
		{`{"email":5}`, "email", "must be text, got number"},
	}
	for _, c := range cases {
		_, fe := Decode([]byte(c.raw))
		if fe == nil || fe.Field != c.field || fe.Msg != c.want {
			t.Errorf("%s: got %+v, want %s: %s", c.raw, fe, c.field, c.want)
		}
		if fe != nil && (strings.Contains(fe.Msg, "int64") || strings.Contains(fe.Msg, "number 1")) {
			t.Errorf("%s: Go type words in %q", c.raw, fe.Msg)
		}
	}
}
