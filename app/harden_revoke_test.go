package app

import (
	"net/http"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

// TestWorkerLogoutHoldsAfterRestartAndOnOtherNodes is issue 22 finding 8:
// a worker cannot bump the user's session epoch (the users table is master
// only), so its logout lived in memory and a restart brought the copied
// cookie back. The logout is now stored in the shared
// session_revocations table, which every node checks.
func TestWorkerLogoutHoldsAfterRestartAndOnOtherNodes(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b) // opened as master: the schema exists
		worker := cluster.NewNode(config.NodeConfig{Role: config.NodeRoleWorker}, b.Name == dbtest.MariaDB, env.db)
		// A worker panel on the same database; started again, it is the
		// same worker restarted (or a second node): same secret, empty memory.
		start := func() *testEnv {
			app, err := New(env.app.Cfg, Options{XrayBinary: testXrayBinary(t), XrayConfigPath: t.TempDir() + "/config.json",
				DB: env.db, Node: worker})
			if err != nil {
				t.Fatal(err)
			}
			return &testEnv{t: t, app: app, h: app.Handler(), db: env.db}
		}
		w := start()
		c := w.loggedIn()
		copied := map[string]*http.Cookie{}
		for k, v := range c.cookies {
			copied[k] = v
		}
		other := w.loggedIn() // another browser: not logged out
		c.do("POST", "logout", nil).expectOK()

		for _, node := range []*testEnv{start(), start()} {
			replay := node.client()
			replay.cookies = copied
			replay.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "not logged in")
			other.env = node
			other.api("GET", "inbounds/list", nil).expectOK()
		}
	})
}
