package auth

import (
	"crypto/subtle"
	"strings"
	"time"
)

// MatchTOTP is ValidTOTP that also says which time step the code belongs
// to, so a caller can refuse a code whose step was already used.
func MatchTOTP(secret, code string, t time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	key, err := decodeTOTPSecret(secret)
	if err != nil || len(code) != totpDigits {
		return 0, false
	}
	step := t.Unix() / totpStep
	var matched int64
	ok := 0
	for d := int64(-1); d <= 1; d++ {
		eq := subtle.ConstantTimeCompare([]byte(hotp(key, uint64(step+d))), []byte(code))
		if eq == 1 {
			matched = step + d
		}
		ok |= eq
	}
	return matched, ok == 1
}
