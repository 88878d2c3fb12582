package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// totpNow is the current code for secret.
func totpNow(t testing.TB, secret string) string {
	t.Helper()
	code, err := auth.TOTPCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// totpWrong is a well-formed code that no nearby time step accepts.
func totpWrong(t testing.TB, secret string) string {
	t.Helper()
	for i := 0; i < 1000; i++ {
		code := strings.Repeat("0", 6-len(itoa(i))) + itoa(i)
		if !auth.ValidTOTP(secret, code, time.Now()) && !auth.ValidTOTP(secret, code, time.Now().Add(30*time.Second)) {
			return code
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

func adminSecret(t testing.TB, env *testEnv) string {
	t.Helper()
	var u model.User
	if err := env.db.Current().Order("id").First(&u).Error; err != nil {
		t.Fatal(err)
	}
	return u.TwoFactorSecret
}

func TestTwoFactorEnableDisable(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		if r := c.api("GET", "setting/twoFactor/status", nil).expectOK(); r.obj()["enabled"] != false {
			t.Fatalf("status before setup: %s", r.Raw)
		}

		// Enable needs a pending setup and a well-formed code.
		before := env.dbState(t)
		c.api("POST", "setting/twoFactor/enable", map[string]string{"code": "123456"}).expectFail(http.StatusBadRequest, "secret")
		setup := c.api("POST", "setting/twoFactor/setup", nil).expectOK().obj()
		secret, _ := setup["secret"].(string)
		otpURL, _ := setup["url"].(string)
		if len(secret) < 16 || !strings.HasPrefix(otpURL, "otpauth://totp/") || !strings.Contains(otpURL, "secret="+secret) ||
			!strings.Contains(otpURL, ":admin?") {
			t.Fatalf("setup obj: %v", setup)
		}
		c.api("POST", "setting/twoFactor/enable", map[string]string{}).expectFail(http.StatusBadRequest, "code")
		c.api("POST", "setting/twoFactor/enable", map[string]string{"code": "12ab56"}).expectFail(http.StatusBadRequest, "code")
		c.api("POST", "setting/twoFactor/enable", map[string]string{"code": totpWrong(t, secret)}).expectFail(http.StatusBadRequest, "code")
		if after := env.dbState(t); after != before {
			t.Fatalf("failed enable changed the database:\nbefore %s\nafter  %s", before, after)
		}

		// The pending secret survives a wrong code; a right one stores it.
		c.api("POST", "setting/twoFactor/enable", url.Values{"code": {totpNow(t, secret)}}).expectOK()
		if got := adminSecret(t, env); got != secret {
			t.Fatalf("stored secret %q, want %q", got, secret)
		}
		if r := c.api("GET", "setting/twoFactor/status", nil).expectOK(); r.obj()["enabled"] != true {
			t.Fatalf("status after enable: %s", r.Raw)
		}
		c.api("POST", "setting/twoFactor/setup", nil).expectFail(http.StatusConflict, "twoFactor")
		// The session that enabled it stays valid.
		c.api("GET", "inbounds/list", nil).expectOK()

		// Login now needs the code.
		lc := env.client()
		r := lc.do("POST", "login", map[string]string{"username": "admin", "password": "admin"})
		r.expectFail(http.StatusUnauthorized, "twoFactorCode")
		if r.obj()["twoFactorRequired"] != true {
			t.Fatalf("login without code: %s", r.Raw)
		}
		lc.do("POST", "login", map[string]string{"username": "admin", "password": "admin", "twoFactorCode": totpWrong(t, secret)}).
			expectFail(http.StatusUnauthorized, "twoFactorCode")
		lc.do("POST", "login", map[string]string{"username": "admin", "password": "admin", "twoFactorCode": totpNow(t, secret)}).expectOK()

		// Disable with a wrong or missing code is a 400 and changes nothing.
		before = env.dbState(t)
		c.api("POST", "setting/twoFactor/disable", map[string]string{"code": totpWrong(t, secret)}).expectFail(http.StatusBadRequest, "code")
		c.api("POST", "setting/twoFactor/disable", url.Values{}).expectFail(http.StatusBadRequest, "code")
		if after := env.dbState(t); after != before {
			t.Fatalf("failed disable changed the database:\nbefore %s\nafter  %s", before, after)
		}
		if adminSecret(t, env) != secret {
			t.Fatal("failed disable cleared the secret")
		}

		c.api("POST", "setting/twoFactor/disable", map[string]string{"code": totpNow(t, secret)}).expectOK()
		if got := adminSecret(t, env); got != "" {
			t.Fatalf("secret after disable: %q", got)
		}
		c.api("POST", "setting/twoFactor/disable", map[string]string{"code": totpNow(t, secret)}).expectFail(http.StatusConflict, "not enabled")
		env.client().do("POST", "login", map[string]string{"username": "admin", "password": "admin"}).expectOK()

		// A cookie request without the CSRF token is refused.
		c.noCSRF = true
		c.api("POST", "setting/twoFactor/setup", nil).expectFail(http.StatusForbidden, "CSRF")
	})
}
