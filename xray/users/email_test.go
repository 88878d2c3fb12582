package users

import (
	"strings"
	"testing"
)

// CheckEmail follows 3x-ui v3's rule (any Unicode but / \ space and
// control characters) plus '>' and format characters, at most MaxEmail
// characters.
func TestCheckEmail(t *testing.T) {
	good := []string{"alice", "a.b+c@x", "ирина@example", "用户@例子", "a~b", "ü", strings.Repeat("я", MaxEmail)}
	for _, e := range good {
		if err := CheckEmail(e); err != nil {
			t.Errorf("CheckEmail(%q) = %v, want nil", e, err)
		}
	}
	bad := []string{"", "a b", "a/b", `a\b`, "a>b", "a\tb", "a\x07b", "a\u200bb", "a\u00a0b", "\xff", strings.Repeat("я", MaxEmail+1)}
	for _, e := range bad {
		err := CheckEmail(e)
		if err == nil || err.Field != "email" {
			t.Errorf("CheckEmail(%q) = %v, want an email error", e, err)
		}
	}
}
