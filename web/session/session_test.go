package session

import (
	"encoding/base32"
	"net/http"
	"net/http/httptest"
	"strings"
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

func TestCookieRoundTripTamperAndExpiry(t *testing.T) {
	m, err := NewManager("0123456789abcdef0123456789abcdef", time.Hour, "/base/", true)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	m.Now = func() time.Time { return now }
	rec := httptest.NewRecorder()
	d, err := m.Issue(rec, 7, "fp")
	if err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	var sess *http.Cookie
	for _, c := range cookies {
		if c.Name == CookieName {
			sess = c
		}
	}
	if sess == nil || !sess.HttpOnly || !sess.Secure || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/base/" || sess.MaxAge != 3600 {
		t.Fatalf("session cookie attributes wrong: %+v", sess)
	}
	if strings.Contains(sess.Value, "fp") {
		t.Fatal("cookie must be encrypted")
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(sess)
	got, err := m.Load(req)
	if err != nil || got.UserID != 7 || got.CSRF != d.CSRF || !got.CheckCSRF(d.CSRF) || got.CheckCSRF("x") {
		t.Fatalf("load: %+v %v", got, err)
	}

	// Flip one byte: authentication must fail.
	raw := []byte(sess.Value)
	raw[len(raw)/2] ^= 1
	if raw[len(raw)/2] == sess.Value[len(raw)/2] {
		t.Fatal("tamper did nothing")
	}
	bad := httptest.NewRequest("GET", "/", nil)
	bad.AddCookie(&http.Cookie{Name: CookieName, Value: string(raw)})
	if _, err := m.Load(bad); err != ErrInvalid {
		t.Fatalf("tampered cookie: %v", err)
	}

	// Another secret cannot open it.
	other, _ := NewManager("another-secret-another-secret-xx", time.Hour, "/", false)
	if _, err := other.Open(sess.Value); err != ErrInvalid {
		t.Fatalf("foreign secret: %v", err)
	}

	now = now.Add(time.Hour)
	if _, err := m.Load(req); err != ErrExpired {
		t.Fatalf("expired session: %v", err)
	}
	if _, err := m.Load(httptest.NewRequest("GET", "/", nil)); err != ErrNoSession {
		t.Fatalf("no cookie: %v", err)
	}
}

func TestNewManagerRejectsWeakSecret(t *testing.T) {
	if _, err := NewManager("short", time.Hour, "/", false); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("want secret error, got %v", err)
	}
}
