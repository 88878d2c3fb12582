package session

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCookieRoundTripTamperAndExpiry(t *testing.T) {
	m, err := NewManager("0123456789abcdef0123456789abcdef", time.Hour, "/base/", true)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	m.Now = func() time.Time { return now }
	rec := httptest.NewRecorder()
	d, err := m.Issue(rec, 7, "fingerprint-marker-0123456789")
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
	// The sealed bytes must not hold the plaintext (long markers, so a
	// random ciphertext cannot contain them by chance).
	sealed, err := base64.RawURLEncoding.DecodeString(sess.Value)
	if err != nil {
		t.Fatalf("cookie value is not base64url: %v", err)
	}
	for _, plain := range []string{"fingerprint-marker-0123456789", d.CSRF} {
		if strings.Contains(sess.Value, plain) || bytes.Contains(sealed, []byte(plain)) {
			t.Fatalf("cookie must be encrypted: it holds %q", plain)
		}
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
