package app

import (
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

// TestGetTwoFactorEnable: the login page's public question answers false,
// then true once an admin enrols, for POST (3x-ui) and GET, without a
// session or CSRF token.
func TestGetTwoFactorEnable(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		anon := env.client()
		for _, m := range []string{"POST", "GET"} {
			if r := anon.do(m, "getTwoFactorEnable", nil).expectOK(); r.Msg.Obj != false {
				t.Fatalf("%s before enrolment: %s", m, r.Raw)
			}
		}
		c := env.loggedIn()
		secret := c.api("POST", "setting/twoFactor/setup", nil).expectOK().obj()["secret"].(string)
		// A pending setup is not two-factor login yet.
		if r := anon.do("POST", "getTwoFactorEnable", nil).expectOK(); r.Msg.Obj != false {
			t.Fatalf("pending setup reported as on: %s", r.Raw)
		}
		c.api("POST", "setting/twoFactor/enable", map[string]string{"code": totpNow(t, secret)}).expectOK()
		for _, m := range []string{"POST", "GET"} {
			if r := anon.do(m, "getTwoFactorEnable", nil).expectOK(); r.Msg.Obj != true {
				t.Fatalf("%s after enrolment: %s", m, r.Raw)
			}
		}
		// The answer is one bit: no user names, no secret.
		if r := anon.do("POST", "getTwoFactorEnable", nil); string(r.Raw) != `{"success":true,"msg":"","obj":true}` {
			t.Fatalf("body %s", r.Raw)
		}
	})
}
