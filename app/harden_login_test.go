package app

import (
	"net/http"
	"sync"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

// TestLoginLimitHoldsUnderConcurrency is issue 10 finding 3: 50 parallel
// wrong-password logins from one IP used to all get 401 (checked before
// bcrypt, counted after). Attempts are now reserved before bcrypt: exactly
// loginMaxFailures reach the password check, the rest get 429.
func TestLoginLimitHoldsUnderConcurrency(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		const n = 50
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c := env.client()
				codes[i] = c.do("POST", "login", map[string]string{"username": "admin", "password": "wrong-one"}).Code
			}(i)
		}
		wg.Wait()
		count := map[int]int{}
		for _, c := range codes {
			count[c]++
		}
		if count[http.StatusUnauthorized] != loginMaxFailures || count[http.StatusTooManyRequests] != n-loginMaxFailures {
			t.Fatalf("50 parallel wrong logins: %v, want %d x 401 and the rest 429", count, loginMaxFailures)
		}
		// The right password from that IP is refused too until the window passes.
		env.client().do("POST", "login", map[string]string{"username": "admin", "password": "admin"}).
			expectFail(http.StatusTooManyRequests, "too many")
		// A successful login elsewhere refunds its own reservation only.
		other := env.client()
		other.remote = "198.51.100.9:5000"
		other.do("POST", "login", map[string]string{"username": "admin", "password": "admin"}).expectOK()
	})
}
