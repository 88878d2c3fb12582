package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/util/testcert"
)

func settingsFile(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(config.GetSettingPath())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestPanelNetworkSettings: setting/all and setting/update carry this
// node's panel settings under 3x-ui's names; they go to x-ui.json, bad
// values name the field and change neither x-ui.json nor the database,
// and a good change says the panel must restart.
func TestPanelNetworkSettings(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnvFile(t, b)
		c := env.loggedIn()
		all := c.api("GET", "setting/all", nil).expectOK().obj()
		if all["webPort"] != float64(config.DefaultPanelPort) || all["webBasePath"] != "/" || all["sessionMaxAge"] != float64(24*60) || all["webListen"] != "" {
			t.Fatalf("panel settings in setting/all: %v", all)
		}
		c.api("POST", "setting/update", map[string]any{"subPort": 2097, "subEnable": true}).expectOK()
		inPort := hostPort(31801)
		c.api("POST", "inbounds/add", vlessInbound(inPort, vlessClient("panel@x"))).expectOK()

		dir := t.TempDir()
		cert, key := testcert.Write(t, dir, "panel.test")
		fileBefore, dbBefore := settingsFile(t), env.dbState(t)
		for _, bad := range []struct {
			body  map[string]any
			code  int
			field string
		}{
			{map[string]any{"webPort": 70000}, 400, "webPort"},
			{map[string]any{"webPort": "x"}, 400, "webPort"},
			{map[string]any{"webListen": "not-an-ip"}, 400, "webListen"},
			{map[string]any{"webBasePath": "/a b/"}, 400, "webBasePath"},
			{map[string]any{"webBasePath": "/../x/"}, 400, "webBasePath"},
			{map[string]any{"sessionMaxAge": 0}, 400, "sessionMaxAge"},
			{map[string]any{"webCertFile": cert}, 400, "webKeyFile"},
			{map[string]any{"webKeyFile": key}, 400, "webCertFile"},
			{map[string]any{"webCertFile": filepath.Join(dir, "missing.crt"), "webKeyFile": key}, 400, "webCertFile"},
			{map[string]any{"webCertFile": key, "webKeyFile": cert}, 400, "webCertFile"},
			{map[string]any{"webPort": 2097}, 409, "subscription port"},
			{map[string]any{"webPort": inPort}, 409, "inbound"},
			// The subscription port in the same request counts.
			{map[string]any{"webPort": 3001, "subPort": 3001}, 409, "subscription port"},
			// Both or neither: shared values are checked in the shared
			// write, after x-ui.json was replaced; a refusal puts it back.
			{map[string]any{"webPort": 3000, "subTitle": strings.Repeat("x", 300)}, 400, "subTitle"},
		} {
			c.api("POST", "setting/update", bad.body).expectFail(bad.code, bad.field)
			if got := settingsFile(t); got != fileBefore {
				t.Fatalf("%v changed x-ui.json:\n%s", bad.body, got)
			}
		}
		if env.dbState(t) != dbBefore {
			t.Fatal("refused panel settings changed the database")
		}

		r := c.api("POST", "setting/update", map[string]any{
			"webListen": "127.0.0.1", "webPort": 3002, "webBasePath": "panel", "sessionMaxAge": 90,
			"webCertFile": cert, "webKeyFile": key, "subTitle": "both",
		}).expectOK()
		if !strings.Contains(r.Msg.Msg, "restart the panel") || r.obj()["restartNeeded"] != true {
			t.Fatalf("reply: %s", r.Raw)
		}
		var file map[string]map[string]any
		if err := json.Unmarshal([]byte(settingsFile(t)), &file); err != nil {
			t.Fatal(err)
		}
		if file["panelNetwork"]["port"] != float64(3002) || file["panelNetwork"]["webBasePath"] != "/panel/" ||
			file["panelNetwork"]["listen"] != "127.0.0.1" || file["panelSecurity"]["sessionMaxAge"] != float64(90) ||
			file["panelTLS"]["certFile"] != cert || file["panelTLS"]["keyFile"] != key || file["databaseConnection"] == nil {
			t.Fatalf("x-ui.json: %v", file)
		}
		all = c.api("GET", "setting/all", nil).expectOK().obj()
		if all["webPort"] != float64(3002) || all["webBasePath"] != "/panel/" || all["subTitle"] != "both" {
			t.Fatalf("setting/all after update: %v", all)
		}
		// The running panel keeps serving its old path until restartPanel.
		c.api("GET", "server/status", nil).expectOK()
		lastAudit := func(action string, fields ...string) {
			t.Helper()
			var row model.AuditLog
			if err := env.db.Current().Order("id DESC").First(&row).Error; err != nil {
				t.Fatal(err)
			}
			for _, f := range fields {
				if row.Action != action || !strings.Contains(row.Changes, `"field":"`+f+`"`) {
					t.Fatalf("last audit row %+v, want %s changing %v", row, action, fields)
				}
			}
		}
		lastAudit("settings.update", "panel.webPort", "panel.webCertFile", "subTitle")

		// Saving the same values again needs no restart.
		r = c.api("POST", "setting/update", map[string]any{"webPort": 3002, "sessionMaxAge": 90}).expectOK()
		if r.Msg.Obj != nil {
			t.Fatalf("unchanged values: %s", r.Raw)
		}
		// Clearing the certificate pair turns TLS off again.
		c.api("POST", "setting/update", map[string]any{"webCertFile": "", "webKeyFile": ""}).expectOK()
		if got := config.GetPanelConfigFromJSON(); got.CertFile != "" || got.KeyFile != "" || got.Port != 3002 {
			t.Fatalf("panel config: %+v", got)
		}
		lastAudit("panel.update", "panel.webCertFile", "panel.webKeyFile")
	})
}

// TestPanelNetworkSettingsOnWorker: a worker may change its own panel
// settings (they are node-local), but a request that also carries a shared
// key is refused as a whole and leaves x-ui.json as it was.
func TestPanelNetworkSettingsOnWorker(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnvFile(t, b)
		c := env.loggedIn()
		if err := config.WriteSettingToJSON("nodeRole", "worker"); err != nil {
			t.Fatal(err)
		}
		if err := config.WriteSettingToJSON("nodeId", "w1"); err != nil {
			t.Fatal(err)
		}
		env = env.restarted(t) // the role is read at start
		c = env.loggedIn()
		before, dbBefore := settingsFile(t), env.dbState(t)
		c.api("POST", "setting/update", map[string]any{"webPort": 3005, "subTitle": "w"}).expectFail(403, "master")
		if settingsFile(t) != before || env.dbState(t) != dbBefore {
			t.Fatal("refused worker update changed x-ui.json or the database")
		}
		r := c.api("POST", "setting/update", map[string]any{"webPort": 3005}).expectOK()
		if r.obj()["restartNeeded"] != true || config.GetPanelConfigFromJSON().Port != 3005 {
			t.Fatalf("worker panel port: %s", r.Raw)
		}
	})
}
