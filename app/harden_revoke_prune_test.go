package app

import (
	"net/http"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// TestSessionRevocationsArePruned: a revocation row is only needed until
// its session would have expired anyway; the master drops such rows when
// it records the next logout.
func TestSessionRevocationsArePruned(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		conn := env.db.Current()
		if err := conn.Create(&model.SessionRevocation{SessionID: "long-expired", ExpiresAt: 1}).Error; err != nil {
			t.Fatal(err)
		}
		c := env.loggedIn()
		c.do("POST", "logout", nil).expectOK()
		var ids []string
		if err := conn.Model(&model.SessionRevocation{}).Pluck("session_id", &ids).Error; err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1 || ids[0] == "long-expired" {
			t.Fatalf("revocations after logout: %v, want only the new session", ids)
		}
		c.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "not logged in")
	})
}
