package app

import (
	"net/http"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

func loginAs(c *client, password string) *resp {
	return c.do("POST", "login", map[string]string{"username": "admin", "password": password})
}

// TestOwnerLoginSurvivesDistributedLockout is issue 22 finding 3: five
// wrong logins for admin from each of 4 addresses made the right password
// from the owner's known address answer 429 for 15 minutes, renewable
// forever. Failures now count per address and username; the per-username
// cap that slows a spray applies only to untrusted attempts, and the
// owner is trusted from an address it logged in from before or from a
// browser holding the trusted-device cookie of an earlier login.
func TestOwnerLoginSurvivesDistributedLockout(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		home := env.client()
		home.remote = "203.0.113.5:40000"
		loginAs(home, "admin").expectOK()
		laptop := env.client() // logs in from a café, keeps its cookies
		laptop.remote = "203.0.113.77:40000"
		loginAs(laptop, "admin").expectOK()

		for _, ip := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"} {
			attacker := env.client()
			attacker.remote = ip + ":5000"
			for i := 0; i < loginMaxFailures; i++ {
				loginAs(attacker, "guess").expectFail(http.StatusUnauthorized, "wrong")
			}
		}
		// A fifth address without history is slowed: the spray filled the
		// username's untrusted cap.
		stranger := env.client()
		stranger.remote = "198.51.100.5:5000"
		loginAs(stranger, "admin").expectFail(http.StatusTooManyRequests, "too many")

		// The owner from a known address, in a fresh browser: allowed.
		again := env.client()
		again.remote = "203.0.113.5:40001"
		loginAs(again, "admin").expectOK()
		// The owner's browser from a new address: its device cookie lets it in.
		laptop.remote = "192.0.2.200:40000"
		loginAs(laptop, "admin").expectOK()

		// The allowance is no free pass: a trusted browser still has only
		// loginMaxFailures wrong attempts of its own.
		for i := 0; i < loginMaxFailures; i++ {
			loginAs(laptop, "guess").expectFail(http.StatusUnauthorized, "wrong")
		}
		loginAs(laptop, "admin").expectFail(http.StatusTooManyRequests, "too many")
	})
}
