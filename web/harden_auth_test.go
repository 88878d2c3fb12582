package web

import (
	"net/http"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

// TestCredentialHygiene is issue 10 finding 10 (the parts done): a token
// cannot mint tokens, a password change revokes the user's tokens, a
// password under 8 characters is refused, and login and cookie writes from
// another Origin/Referer are refused.
func TestCredentialHygiene(t *testing.T) {
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
