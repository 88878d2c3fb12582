package app

import (
	"net/http"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

// TestCredentialHygiene is issue 10 finding 10 (the parts done): a token
// cannot mint tokens, a password change revokes the user's tokens, a
// password under 8 characters is refused, and login and cookie writes from
// another Origin/Referer are refused.
func TestCredentialHygiene(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		admin := env.loggedIn()
		token := admin.api("POST", "setting/apiTokens/create", map[string]string{"name": "ci"}).expectOK().obj()["token"].(string)
		bot := env.client()
		bot.bearer = token
		bot.api("POST", "setting/apiTokens/create", map[string]string{"name": "child"}).expectFail(http.StatusForbidden, "cannot create API tokens")

		admin.api("POST", "setting/updateUser", map[string]any{"oldUsername": "admin", "oldPassword": "admin", "newUsername": "admin", "newPassword": "short"}).
			expectFail(http.StatusBadRequest, "newPassword: must be 8-72")
		bot.api("GET", "inbounds/list", nil).expectOK()
		admin.api("POST", "setting/updateUser", map[string]any{"oldUsername": "admin", "oldPassword": "admin", "newUsername": "admin", "newPassword": "long-enough-1"}).expectOK()
		bot.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "invalid or revoked API token")

		evil := env.client()
		evil.header = http.Header{"Origin": {"https://evil.example"}}
		evil.do("POST", "login", map[string]string{"username": "admin", "password": "long-enough-1"}).expectFail(http.StatusForbidden, "cross-origin")
		evil.header = http.Header{"Referer": {"https://evil.example/page"}}
		evil.do("POST", "login", map[string]string{"username": "admin", "password": "long-enough-1"}).expectFail(http.StatusForbidden, "cross-origin")
		same := env.client()
		same.header = http.Header{"Origin": {"http://example.com"}} // httptest's Host
		same.do("POST", "login", map[string]string{"username": "admin", "password": "long-enough-1"}).expectOK()
	})
}

// TestLogoutSurvivesRestart is issue 10 finding 4: revocations lived in
// memory, so a logged-out cookie worked again after restartPanel. Logout
// now bumps the user's session epoch in the database.
func TestLogoutSurvivesRestart(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		other := env.loggedIn() // a second browser of the same admin
		copied := map[string]*http.Cookie{}
		for k, v := range c.cookies {
			copied[k] = v
		}
		c.do("POST", "logout", nil).expectOK()
		// A restarted panel: new App, same secret, empty memory.
		app, err := New(env.app.Cfg, Options{XrayBinary: testXrayBinary(t), XrayConfigPath: t.TempDir() + "/config.json", DB: env.db, Node: env.app.Node})
		if err != nil {
			t.Fatal(err)
		}
		restarted := &testEnv{t: t, app: app, h: app.Handler(), db: app.DB}
		replay := restarted.client()
		replay.cookies = copied
		replay.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "log")
		other.env = restarted
		other.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "log")
		restarted.loggedIn().api("GET", "inbounds/list", nil).expectOK()
	})
}

// TestAPITokenExpiry: a token given a lifetime stops working after it.
func TestAPITokenExpiry(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		admin := env.loggedIn()
		admin.api("POST", "setting/apiTokens/create", map[string]any{"name": "bad", "expiresInDays": -1}).expectFail(http.StatusBadRequest, "expiresInDays")
		token := admin.api("POST", "setting/apiTokens/create", map[string]any{"name": "short", "expiresInDays": 1}).expectOK().obj()["token"].(string)
		bot := env.client()
		bot.bearer = token
		bot.api("GET", "inbounds/list", nil).expectOK()
		env.app.Tokens.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
		bot.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "invalid or revoked API token")
	})
}
