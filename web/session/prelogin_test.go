package session

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func cookieNamed(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// GET csrf-token's pre-login session: a token in the 3x-ui cookie that
// logs nobody in, answered again while the cookie lives, and carried into
// the session a login issues with it.
func TestPreLoginCSRFToken(t *testing.T) {
	m, err := NewManager("0123456789abcdef0123456789abcdef", time.Hour, "/base/", false)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	token, err := m.CSRFToken(rec, httptest.NewRequest("GET", "/base/csrf-token", nil))
	if err != nil || token == "" {
		t.Fatalf("token %q: %v", token, err)
	}
	pre := cookieNamed(rec, CookieName)
	if pre == nil || !pre.HttpOnly || pre.Path != "/base/" || pre.SameSite != http.SameSiteLaxMode {
		t.Fatalf("pre-login cookie attributes wrong: %+v", pre)
	}
	req := httptest.NewRequest("POST", "/base/login", nil)
	req.AddCookie(pre)
	if _, err := m.Load(req); err != ErrNoSession {
		t.Fatalf("a pre-login session must not count as logged in: %v", err)
	}
	if _, err := m.Open(pre.Value); err == nil {
		t.Fatal("Open accepted a pre-login session")
	}
	again := httptest.NewRecorder()
	if t2, err := m.CSRFToken(again, req); err != nil || t2 != token || cookieNamed(again, CookieName) != nil {
		t.Fatalf("second call: %q %v, want the same token and no new cookie", t2, err)
	}
	d, err := m.LoadAny(req)
	if err != nil || d.UserID != 0 || !d.CheckCSRF(token) {
		t.Fatalf("LoadAny: %+v %v", d, err)
	}

	login := httptest.NewRecorder()
	issued, err := m.IssueWithCSRF(login, 3, "cred", token)
	if err != nil || issued.CSRF != token || issued.ID == d.ID {
		t.Fatalf("issued %+v %v: want the same CSRF token under a new session ID", issued, err)
	}
	after := httptest.NewRequest("GET", "/base/panel/", nil)
	after.AddCookie(cookieNamed(login, CookieName))
	if got, err := m.Load(after); err != nil || got.UserID != 3 || !got.CheckCSRF(token) {
		t.Fatalf("logged-in session: %+v %v", got, err)
	}
	if legacy := cookieNamed(login, LegacyCookieName); legacy == nil || legacy.MaxAge >= 0 {
		t.Fatalf("login must clear the legacy cookie: %+v", legacy)
	}
}

// A session sealed before the cookie was renamed, presented under the old
// name, still logs in until it expires; logout clears both names.
func TestLegacySessionCookie(t *testing.T) {
	m, err := NewManager("0123456789abcdef0123456789abcdef", time.Hour, "/", false)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	d, err := m.Issue(rec, 5, "cred")
	if err != nil {
		t.Fatal(err)
	}
	value := cookieNamed(rec, CookieName).Value
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: LegacyCookieName, Value: value})
	if got, err := m.Load(req); err != nil || got.ID != d.ID {
		t.Fatalf("legacy cookie: %+v %v", got, err)
	}
	if token, err := m.CSRFToken(httptest.NewRecorder(), req); err != nil || token != d.CSRF {
		t.Fatalf("csrf-token with a legacy session: %q %v, want its token", token, err)
	}
	// A pre-login 3x-ui cookie beside it does not hide the logged-in one.
	pre := httptest.NewRecorder()
	if _, err := m.CSRFToken(pre, httptest.NewRequest("GET", "/", nil)); err != nil {
		t.Fatal(err)
	}
	req.AddCookie(cookieNamed(pre, CookieName))
	if got, err := m.Load(req); err != nil || got.ID != d.ID {
		t.Fatalf("legacy cookie beside a pre-login one: %+v %v", got, err)
	}
	out := httptest.NewRecorder()
	if err := m.Revoke(out, req); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{CookieName, LegacyCookieName, CSRFCookieName} {
		if c := cookieNamed(out, name); c == nil || c.MaxAge >= 0 {
			t.Fatalf("logout must clear %s: %+v", name, c)
		}
	}
	if _, err := m.Load(req); err != ErrNoSession {
		t.Fatalf("revoked legacy session: %v", err)
	}
}
