package web

import (
	"net/http"
	"os"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
)

// TestWorkerLogoutHoldsAfterRestartAndOnOtherNodes is issue 22 finding 8:
// a worker cannot bump the user's session epoch (the users table is master
// only), so its logout lived in memory and a restart brought the copied
// cookie back. The logout is now stored in the shared
// session_revocations table, which every node checks.
func TestWorkerLogoutHoldsAfterRestartAndOnOtherNodes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b) // opened as master: the schema exists
		testdb.SetNodeRole(t, os.Getenv("XUI_DB_FOLDER"), string(config.NodeRoleWorker))

		c := env.loggedIn()
		copied := map[string]*http.Cookie{}
		for k, v := range c.cookies {
			copied[k] = v
		}
		other := env.loggedIn() // another browser: not logged out
		c.do("POST", "logout", nil).expectOK()

		// The same worker restarted, and a second node on the same
		// database: same secret, empty memory.
		restart := func() *testEnv {
			app, err := NewApp(env.app.Cfg, AppOptions{XrayBinary: testXrayBinary(t), XrayConfigPath: t.TempDir() + "/config.json"})
			if err != nil {
				t.Fatal(err)
			}
			return &testEnv{t: t, app: app, h: app.Handler()}
		}
		for _, node := range []*testEnv{restart(), restart()} {
			replay := node.client()
			replay.cookies = copied
			replay.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "not logged in")
			other.env = node
			other.api("GET", "inbounds/list", nil).expectOK()
		}
	})
}
