package app

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

const workerBanner = "This node is a worker: it is read-only. Make changes on the master at "

// setNodeGroup rewrites the node group of the x-ui.json in XUI_DB_FOLDER,
// keeping everything else (database connection, session secret).
func setNodeGroup(t testing.TB, node map[string]any) {
	t.Helper()
	path := filepath.Join(os.Getenv("XUI_DB_FOLDER"), "x-ui.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]any{}
	if err := json.Unmarshal(data, &settings); err != nil {
		t.Fatal(err)
	}
	settings["node"] = node
	data, _ = json.Marshal(settings)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// restarted is env's panel started again on the same database: the role
// is read once at start, so a test that changes it restarts the App.
func (e *testEnv) restarted(t testing.TB) *testEnv {
	t.Helper()
	app, err := New(e.app.Cfg, Options{XrayBinary: testXrayBinary(t), XrayConfigPath: filepath.Join(t.TempDir(), "config.json"),
		DB: e.db, Node: cluster.NodeFromJSON()})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Xray.StopXray(); err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, app: app, h: app.Handler(), db: app.DB}
}

func TestNodeInfoMaster(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnvFile(t, b)
		c := env.loggedIn()
		info := c.api("GET", "server/nodeInfo", nil).expectOK().obj()
		if info["role"] != "master" || info["readOnly"] != false || info["nodeId"] != "" || info["masterAddress"] != "" {
			t.Fatalf("default nodeInfo: %v", info)
		}
		// The single node's Nodes page shows the panel version from here.
		if info["panelVersion"] != config.GetVersion() || info["panelVersion"] == "" {
			t.Fatalf("panelVersion %v, want %q", info["panelVersion"], config.GetVersion())
		}
		setNodeGroup(t, map[string]any{"nodeRole": "master", "nodeId": "m1", "nodeAddress": "m1.example.com"})
		env = env.restarted(t)
		c = env.loggedIn()
		info = c.api("GET", "server/nodeInfo", nil).expectOK().obj()
		if info["role"] != "master" || info["readOnly"] != false || info["nodeId"] != "m1" ||
			info["nodeAddress"] != "m1.example.com" || info["masterAddress"] != "m1.example.com" {
			t.Fatalf("master nodeInfo: %v", info)
		}
		page := c.do("GET", "panel/", nil)
		if page.Code != 200 || strings.Contains(string(page.Raw), "worker-banner") || strings.Contains(string(page.Raw), "read-only") {
			t.Fatalf("master panel page: %d %s", page.Code, page.Raw)
		}
		env.client().api("GET", "server/nodeInfo", nil).expectFail(http.StatusUnauthorized, "not logged in")
	})
}

// A worker needs MariaDB, so this runs on that backend only.
func TestNodeInfoWorkerBanner(t *testing.T) {
	env := newEnvFile(t, dbtest.New(t, dbtest.MariaDB))
	c := env.loggedIn()
	setNodeGroup(t, map[string]any{"nodeRole": "worker", "nodeId": "worker-7", "nodeAddress": "w7.example.com"})
	env = env.restarted(t)
	c = env.loggedIn()

	// No master row yet: the banner still shows, without an address.
	page := c.do("GET", "panel/", nil)
	if page.Code != 200 || !strings.Contains(string(page.Raw), workerBanner+"the master node") {
		t.Fatalf("worker panel page without a master row: %d %s", page.Code, page.Raw)
	}
	info := c.api("GET", "server/nodeInfo", nil).expectOK().obj()
	if info["role"] != "worker" || info["readOnly"] != true || info["masterAddress"] != "" {
		t.Fatalf("worker nodeInfo without master: %v", info)
	}

	now := time.Now().Unix()
	rows := []model.NodeState{
		{NodeID: "old-master", NodeRole: "master", NodeAddress: "old.example.com", LastHeartbeatAt: now - 3600},
		{NodeID: "master-1", NodeRole: "master", NodeAddress: "master.example.com:2053", LastHeartbeatAt: now},
		{NodeID: "worker-7", NodeRole: "worker", NodeAddress: "w7.example.com", LastHeartbeatAt: now + 5},
	}
	if err := env.db.Current().Create(&rows).Error; err != nil {
		t.Fatal(err)
	}
	page = c.do("GET", "panel/", nil)
	if page.Code != 200 || !strings.Contains(string(page.Raw), workerBanner+"master.example.com:2053.") {
		t.Fatalf("worker panel page: %d %s", page.Code, page.Raw)
	}
	info = c.api("GET", "server/nodeInfo", nil).expectOK().obj()
	want := map[string]any{"role": "worker", "nodeId": "worker-7", "nodeAddress": "w7.example.com",
		"readOnly": true, "masterAddress": "master.example.com:2053"}
	for k, v := range want {
		if info[k] != v {
			t.Fatalf("nodeInfo[%s] = %v, want %v (all: %v)", k, info[k], v, info)
		}
	}
	// Writes on the worker point at the master, and change nothing.
	before := env.dbState(t)
	c.api("POST", "setting/twoFactor/setup", nil).expectFail(http.StatusForbidden, "master at master.example.com:2053")
	c.api("POST", "setting/twoFactor/disable", map[string]string{"code": "123456"}).expectFail(http.StatusForbidden, "master")
	if after := env.dbState(t); after != before {
		t.Fatalf("worker write changed the database")
	}
}

func TestNodesListShowsLagAndStaleNodes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnvFile(t, b)
		c := env.loggedIn()
		now := time.Now().Unix()
		for _, st := range []model.NodeState{
			{NodeID: "w-live", NodeRole: "worker", LastSeenVersion: 0, LastHeartbeatAt: now},
			{NodeID: "w-gone", NodeRole: "worker", LastSeenVersion: 0, LastHeartbeatAt: now - 3600},
		} {
			if err := database.UpsertNodeState(env.db.Current(), &st); err != nil {
				t.Fatal(err)
			}
		}
		obj := c.api("GET", "nodes/list", nil).expectOK().obj()
		nodes, _ := obj["nodes"].([]any)
		if len(nodes) != 2 {
			t.Fatalf("nodes/list: %v", obj)
		}
		for _, raw := range nodes {
			n := raw.(map[string]any)
			if wantStale := n["nodeId"] == "w-gone"; n["stale"] != wantStale {
				t.Fatalf("%v: stale=%v want %v", n["nodeId"], n["stale"], wantStale)
			}
		}
		env.client().api("GET", "nodes/list", nil).expectFail(http.StatusUnauthorized, "not logged in")
	})
}
