package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// TOTP per RFC 6238 as authenticator apps use it: HMAC-SHA1, 30 s steps,
// 6 digits, base32 secret.
const (
	totpStep   = 30
	totpDigits = 6
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a random base32 secret (160 bits).
func NewTOTPSecret() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return b32.EncodeToString(b)
}

// TOTPCode is the code for secret at time t.
func TOTPCode(secret string, t time.Time) (string, error) {
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	return hotp(key, uint64(t.Unix()/totpStep)), nil
}

// ValidTOTP accepts the code of the current step or one step either side,
// to tolerate clock drift.
func ValidTOTP(secret, code string, t time.Time) bool {
	code = strings.TrimSpace(code)
	key, err := decodeTOTPSecret(secret)
	if err != nil || len(code) != totpDigits {
		return false
	}
	step := t.Unix() / totpStep
	ok := 0
	for d := int64(-1); d <= 1; d++ {
		ok |= subtle.ConstantTimeCompare([]byte(hotp(key, uint64(step+d))), []byte(code))
	}
	return ok == 1
}

func decodeTOTPSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(secret), " ", ""))
	s = strings.TrimRight(s, "=")
	key, err := b32.DecodeString(s)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("twoFactorSecret: not valid base32")
	}
	return key, nil
}

// hotp is RFC 4226 with dynamic truncation.
func hotp(key []byte, counter uint64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%1000000)
}
