package auth

import (
	"encoding/base32"
	"testing"
	"time"
)

func TestTOTPVectors(t *testing.T) {
	// RFC 6238 appendix B (SHA1), truncated to 6 digits.
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	cases := map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"}
	for ts, want := range cases {
		got, err := TOTPCode(secret, time.Unix(ts, 0))
		if err != nil || got != want {
			t.Fatalf("TOTP at %d = %q, %v; want %q", ts, got, err, want)
		}
		if !ValidTOTP(secret, want, time.Unix(ts+30, 0)) {
			t.Fatalf("code of the previous step must be accepted")
		}
		if ValidTOTP(secret, want, time.Unix(ts+95, 0)) {
			t.Fatalf("code three steps old must be rejected")
		}
	}
	if ValidTOTP("not base32!", "123456", time.Now()) {
		t.Fatal("bad secret accepted")
	}
}
