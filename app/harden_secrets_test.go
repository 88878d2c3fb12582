package app

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

// TestSecretChecksAreLimited is issue 22 finding 4: setting/updateUser's
// oldPassword was an unlimited bcrypt oracle, twoFactor/disable took any
// number of wrong codes, and an API token could enrol its own two-factor
// secret and lock the owner out. Each session now gets loginMaxFailures
// wrong secrets per window (then 429 naming the field, even for the right
// one), the owner's other sessions keep theirs, and tokens get 403 on
// every credential route.
func TestSecretChecksAreLimited(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		owner := env.loggedIn()
		stolen := env.loggedIn()

		// Tokens cannot manage credentials.
		token := owner.api("POST", "setting/apiTokens/create", map[string]string{"name": "ci"}).expectOK().obj()["token"].(string)
		bot := env.client()
		bot.bearer = token
		bot.api("POST", "setting/twoFactor/setup", nil).expectFail(http.StatusForbidden, "API tokens cannot manage two-factor")
		bot.api("POST", "setting/twoFactor/enable", map[string]string{"code": "123456"}).expectFail(http.StatusForbidden, "API tokens cannot manage two-factor")
		bot.api("POST", "setting/twoFactor/disable", map[string]string{"code": "123456"}).expectFail(http.StatusForbidden, "API tokens cannot manage two-factor")
		bot.api("POST", "setting/updateUser", map[string]any{"oldUsername": "admin", "oldPassword": "admin", "newUsername": "bot", "newPassword": "bot-owns-it"}).
			expectFail(http.StatusForbidden, "API tokens cannot change the admin")
		bot.api("POST", "setting/apiTokens/revoke/1", nil).expectFail(http.StatusForbidden, "API tokens cannot revoke")
		// Nothing changed: the token still works and admin/admin still logs in.
		bot.api("GET", "inbounds/list", nil).expectOK()
		env.loggedIn()

		// oldPassword: a few guesses per session, then 429 even for the right one.
		for i := 0; i < secretMaxFailures; i++ {
			stolen.api("POST", "setting/updateUser", map[string]any{"oldUsername": "admin", "oldPassword": fmt.Sprintf("guess-%d", i), "newUsername": "admin", "newPassword": "taken-over-1"}).
				expectFail(http.StatusBadRequest, "oldPassword")
		}
		r := stolen.api("POST", "setting/updateUser", map[string]any{"oldUsername": "admin", "oldPassword": "admin", "newUsername": "admin", "newPassword": "taken-over-1"})
		r.expectFail(http.StatusTooManyRequests, "oldPassword: too many wrong attempts")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}

		// Two-factor codes: enabled by the owner, then guessed from the stolen session.
		secret := owner.api("POST", "setting/twoFactor/setup", nil).expectOK().obj()["secret"].(string)
		owner.api("POST", "setting/twoFactor/enable", map[string]string{"code": totpNow(t, secret)}).expectOK()
		for i := 0; i < secretMaxFailures; i++ {
			stolen.api("POST", "setting/twoFactor/disable", map[string]string{"code": totpWrong(t, secret)}).expectFail(http.StatusBadRequest, "code")
		}
		stolen.api("POST", "setting/twoFactor/disable", map[string]string{"code": totpNow(t, secret)}).
			expectFail(http.StatusTooManyRequests, "code: too many wrong attempts")
		if adminSecret(t, env) != secret {
			t.Fatal("the limited session disabled two-factor")
		}

		// The owner's own session is not locked out by the stolen one.
		owner.api("POST", "setting/twoFactor/disable", map[string]string{"code": totpNow(t, secret)}).expectOK()
		owner.api("POST", "setting/updateUser", map[string]any{"oldUsername": "admin", "oldPassword": "admin", "newUsername": "admin", "newPassword": "new-secret-1"}).expectOK()
	})
}
