package app

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/web/session"
)

// A 3x-ui v3 client's session (issue 24 item 4): GET csrf-token, POST
// login with the token, writes with the same token, logout.
func TestV3LoginSession(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.client()
		r := c.do("GET", "csrf-token", nil).expectOK()
		token, _ := r.Msg.Obj.(string)
		if token == "" {
			t.Fatalf("csrf-token answered no token: %s", r.Raw)
		}
		ck := c.cookies[session.CookieName]
		if ck == nil || ck.Name != "3x-ui" || ck.Path != testBase || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
			t.Fatalf("pre-login cookie wrong: %+v", ck)
		}
		if c.do("GET", "csrf-token", nil).expectOK().Msg.Obj != token {
			t.Fatal("a second csrf-token call changed the token")
		}
		// The pre-login session grants nothing.
		c.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "not logged in")
		c.do("GET", "panel/csrf-token", nil).expectFail(http.StatusUnauthorized, "not logged in")

		// A token that contradicts the pre-login session is refused.
		c.csrf = "wrong-token"
		c.do("POST", "login", map[string]string{"username": "admin", "password": "admin"}).
			expectFail(http.StatusForbidden, "CSRF")
		c.csrf = token
		login := c.do("POST", "login", map[string]string{"username": "admin", "password": "admin"}).expectOK()
		if login.obj()["csrfToken"] != token {
			t.Fatalf("login must keep the token it was sent: %s", login.Raw)
		}
		if c.cookies[session.CookieName] == nil || c.cookies[session.LegacyCookieName] != nil {
			t.Fatalf("cookies after login: %v", c.cookies)
		}
		if got := c.do("GET", "panel/csrf-token", nil).expectOK().Msg.Obj; got != token {
			t.Fatalf("panel/csrf-token = %v, want the login token", got)
		}
		if got := c.do("GET", "csrf-token", nil).expectOK().Msg.Obj; got != token {
			t.Fatalf("csrf-token while logged in = %v, want the session's", got)
		}
		c.api("POST", "inbounds/add", vlessInbound(hostPort(31021), vlessClient("v3@x"))).expectOK()

		// Writes without the token, or with another, are refused.
		before := env.dbState(t)
		c.noCSRF = true
		c.api("POST", "inbounds/add", vlessInbound(hostPort(31022), vlessClient("v3b@x"))).expectFail(http.StatusForbidden, "CSRF")
		c.noCSRF = false
		c.csrf = "wrong-token"
		c.api("POST", "inbounds/resetAllTraffics", nil).expectFail(http.StatusForbidden, "CSRF")
		if env.dbState(t) != before {
			t.Fatal("a refused write changed the database")
		}
		// v3's form field _csrf works where no header is sent.
		c.noCSRF = true
		c.api("POST", "inbounds/resetAllTraffics", url.Values{"_csrf": {token}}).expectOK()
		c.api("POST", "inbounds/resetAllTraffics", url.Values{"_csrf": {"wrong-token"}}).expectFail(http.StatusForbidden, "CSRF")
		c.noCSRF = false
		c.csrf = token

		if on := c.do("POST", "getTwoFactorEnable", nil).expectOK().Msg.Obj; on != false {
			t.Fatalf("getTwoFactorEnable = %v", on)
		}
		out := c.do("POST", "logout", nil).expectOK()
		if !strings.HasPrefix(string(out.Raw), `{"success":true`) {
			t.Fatalf("logout answer: %s", out.Raw)
		}
		c.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "not logged in")
	})
}

// The flow before v3's (login without a token, the panel's own page) keeps
// working, and cross-site requests stay refused.
func TestV3LoginKeepsOldFlow(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		if c.csrf == "" || c.cookies[session.CookieName] == nil {
			t.Fatalf("old-flow login: csrf %q cookies %v", c.csrf, c.cookies)
		}
		c.api("POST", "inbounds/add", vlessInbound(hostPort(31023), vlessClient("old@x"))).expectOK()

		// The panel's page sends whatever its xui_csrf cookie holds, also a
		// stale token without a session: login still works, fresh token.
		stale := env.client()
		stale.csrf = "stale-token-from-an-ended-session"
		r := stale.do("POST", "login", map[string]string{"username": "admin", "password": "admin"}).expectOK()
		if fresh := r.obj()["csrfToken"]; fresh == "" || fresh == stale.csrf {
			t.Fatalf("stale token login answered csrfToken %v", fresh)
		}

		// Cross-site: refused even with the right cookie and token.
		c.header = http.Header{"Origin": {"https://evil.example"}}
		c.api("POST", "inbounds/resetAllTraffics", nil).expectFail(http.StatusForbidden, "cross-origin")
		evil := env.client()
		evil.header = http.Header{"Origin": {"https://evil.example"}}
		evil.do("GET", "csrf-token", nil).expectOK()
		evil.csrf = evil.do("GET", "csrf-token", nil).Msg.Obj.(string)
		evil.do("POST", "login", map[string]string{"username": "admin", "password": "admin"}).
			expectFail(http.StatusForbidden, "cross-origin")

		// A session cookie under the old name still logs in (transition).
		old := env.client()
		old.cookies[session.LegacyCookieName] = &http.Cookie{Name: session.LegacyCookieName, Value: c.cookies[session.CookieName].Value}
		old.api("GET", "inbounds/list", nil).expectOK()
	})
}

// API tokens in 3x-ui v3's form and the project's, through Bearer.
func TestV3APITokens(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		admin := env.loggedIn()
		admin.api("POST", "inbounds/add", vlessInbound(hostPort(31024), vlessClient("own@x"))).expectOK()

		created := admin.api("POST", "setting/apiTokens/create", map[string]string{"name": "ours"}).expectOK().obj()
		ours, _ := created["token"].(string)
		if !strings.HasPrefix(ours, auth.APITokenPrefix) || len(ours) != len(auth.APITokenPrefix)+48 {
			t.Fatalf("created token %q", ours)
		}
		for _, key := range []string{"id", "name", "token", "enabled", "createdAt", "info"} {
			if _, ok := created[key]; !ok {
				t.Fatalf("create answer lacks %q: %v", key, created)
			}
		}
		if created["enabled"] != true || created["name"] != "ours" {
			t.Fatalf("create answer: %v", created)
		}
		oursID := itoa(int(created["id"].(float64)))

		// A row as 3x-ui v3 stores it: sha256 of 48 alphanumerics, no
		// prefix, no user.
		v3plain := "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0hIj3kLm6n"
		sum := sha256.Sum256([]byte(v3plain))
		v3row := &model.APIToken{Name: "from-v3", Token: hex.EncodeToString(sum[:]), Enabled: true, CreatedAt: time.Now().Unix()}
		if err := env.db.Current().Create(v3row).Error; err != nil {
			t.Fatal(err)
		}
		for _, bearer := range []string{ours, strings.TrimPrefix(ours, auth.APITokenPrefix), v3plain} {
			bot := env.client()
			bot.bearer = bearer
			list := bot.api("GET", "inbounds/list", nil).expectOK()
			if !strings.Contains(string(list.Raw), "own@x") {
				t.Fatalf("Bearer %.8s…: the admin's inbounds are not listed: %s", bearer, list.Raw)
			}
		}
		v3bot := env.client()
		v3bot.bearer = v3plain
		v3bot.api("POST", "inbounds/add", vlessInbound(hostPort(31025), vlessClient("v3bot@x"))).expectOK()

		listed := admin.api("GET", "setting/apiTokens", nil).expectOK()
		rows, _ := listed.Msg.Obj.([]any)
		if len(rows) != 2 {
			t.Fatalf("token list: %s", listed.Raw)
		}
		for _, row := range rows {
			m := row.(map[string]any)
			for _, key := range []string{"id", "name", "enabled", "createdAt"} {
				if _, ok := m[key]; !ok {
					t.Fatalf("list entry lacks %q: %v", key, m)
				}
			}
		}
		if strings.Contains(string(listed.Raw), v3row.Token) || strings.Contains(string(listed.Raw), ours) {
			t.Fatal("token list leaks a token or its hash")
		}

		// setEnabled: off refuses the token, on restores it; bad input names its field.
		v3id := itoa(v3row.Id)
		admin.api("POST", "setting/apiTokens/setEnabled/"+v3id, map[string]bool{"enabled": false}).expectOK()
		admin.api("POST", "setting/apiTokens/setEnabled/"+v3id, map[string]bool{"enabled": false}).expectOK() // unchanged is fine
		v3bot.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "disabled")
		admin.api("POST", "setting/apiTokens/setEnabled/"+v3id, url.Values{"enabled": {"true"}}).expectOK()
		v3bot.api("GET", "inbounds/list", nil).expectOK()
		admin.api("POST", "setting/apiTokens/setEnabled/"+v3id, map[string]any{}).expectFail(http.StatusBadRequest, "enabled")
		admin.api("POST", "setting/apiTokens/setEnabled/"+v3id, map[string]any{"enabled": "maybe"}).expectFail(http.StatusBadRequest, "enabled")
		admin.api("POST", "setting/apiTokens/setEnabled/abc", map[string]bool{"enabled": true}).expectFail(http.StatusBadRequest, "id")
		admin.api("POST", "setting/apiTokens/setEnabled/99999", map[string]bool{"enabled": true}).expectFail(http.StatusNotFound, "id")
		admin.api("POST", "setting/apiTokens/create", map[string]string{}).expectFail(http.StatusBadRequest, "name")
		// A token cannot switch tokens (nor delete them).
		v3bot.api("POST", "setting/apiTokens/setEnabled/"+oursID, map[string]bool{"enabled": false}).expectFail(http.StatusForbidden, "API tokens cannot")
		v3bot.api("POST", "setting/apiTokens/delete/"+oursID, nil).expectFail(http.StatusForbidden, "API tokens cannot")

		admin.api("POST", "setting/apiTokens/delete/"+v3id, nil).expectOK()
		v3bot.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "invalid or revoked API token")
		admin.api("POST", "setting/apiTokens/delete/"+v3id, nil).expectFail(http.StatusNotFound, "id")
		// The project's route still revokes.
		admin.api("POST", "setting/apiTokens/revoke/"+oursID, nil).expectOK()
	})
}
