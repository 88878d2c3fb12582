package exposure

import "testing"

// mayHoldKey may answer true for settings without the key (the full check
// then finds nothing), never false for a spelling Xray reads as the key.
func TestMayHoldKey(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want bool
	}{
		{`{"clients":[{"email":"a"}]}`, false},
		{`{"clients":[{"email":"a","comment":"小明的手机"}]}`, false},                // Unicode that spells no letter of it
		{`{"clients":[{"email":"a","comment":"\u003cb\u003e \u0026"}]}`, false}, // json.Marshal's escapes
		{`{"clients":[{"email":"ирина@example"}]}`, false},
		{`{"fallbacks":[]}`, true},
		{`{"FallBacks":[]}`, true},
		{`{"fallback` + "\u017f" + `":[]}`, true}, // U+017F folds to s
		{`{"fallbac` + "\u212a" + `s":[]}`, true}, // U+212A folds to k
		{`{"fallback\u0073":[]}`, true},           // escaped s
		{`{"\u0066allbacks":[]}`, true},           // escaped f
		{`{"fallback\u017f":[]}`, true},           // escaped U+017F
		{`{"x":"\u00`, true},                      // a cut escape: cannot tell
	} {
		if got := mayHoldKey([]byte(tc.raw), "fallbacks"); got != tc.want {
			t.Errorf("mayHoldKey(%s) = %v, want %v", tc.raw, got, tc.want)
		}
	}
}
