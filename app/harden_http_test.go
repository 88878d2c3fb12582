package app

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

// TestHeadersAndHonesty is issue 10 finding 11: CSP with scripts by nonce
// only, nosniff/X-Frame-Options/Referrer-Policy, HSTS under TLS only,
// unknown API paths 401 before auth (no route map), 413 for bodies over
// the limit instead of "username: is required".
func TestHeadersAndHonesty(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		rec := httptest.NewRecorder()
		env.h.ServeHTTP(rec, httptest.NewRequest("GET", testBase+"login", nil))
		h := rec.Header()
		csp := h.Get("Content-Security-Policy")
		m := regexp.MustCompile(`script-src 'self' 'nonce-([A-Za-z0-9+/]+)'`).FindStringSubmatch(csp)
		if m == nil || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
			t.Fatalf("CSP %q: want scripts by nonce only", csp)
		}
		body := rec.Body.String()
		// Every script is external or carries this response's nonce.
		for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
			if !strings.Contains(tag, "src=") && !strings.Contains(tag, `nonce="`+m[1]+`"`) {
				t.Fatalf("login page has an inline script without this response's nonce: %s", tag)
			}
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
			if h.Get(k) != v {
				t.Errorf("%s = %q, want %q", k, h.Get(k), v)
			}
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Error("HSTS over plain HTTP")
		}
		rec = httptest.NewRecorder()
		env.h.ServeHTTP(rec, httptest.NewRequest("GET", "https://panel.example"+testBase+"login", nil))
		if !strings.Contains(rec.Header().Get("Strict-Transport-Security"), "max-age=") {
			t.Error("no HSTS under TLS")
		}

		anon := env.client()
		anon.api("GET", "no/such/route", nil).expectFail(http.StatusUnauthorized, "not logged in")
		anon.api("POST", "inbounds/nosuch", nil).expectFail(http.StatusUnauthorized, "not logged in")
		env.loggedIn().api("GET", "no/such/route", nil).expectFail(http.StatusNotFound, "no such API route")

		big := "username=admin&password=" + strings.Repeat("a", 10<<20+1)
		req := httptest.NewRequest("POST", testBase+"login", strings.NewReader(big))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec = httptest.NewRecorder()
		env.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("11 MB form: %d %s, want 413", rec.Code, rec.Body.String())
		}
	})
}
