package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

// The real servers on one shared MariaDB: master m1 runs and stops
// (releasing the lease), then master m2 starts and records lease.moved
// from m1 to m2, once; m2 starting again records nothing more.
func TestMasterStartRecordsLeaseMoved(t *testing.T) {
	// Sequential: uses the process database and the XUI_* folders (process-wide).
	b := dbtest.New(t, dbtest.MariaDB)
	dbtest.UseBackend(t, b)
	t.Setenv("XUI_BIN_FOLDER", t.TempDir())
	if err := os.Symlink(testXrayBinary(t), XrayBinaryPath()); err != nil {
		t.Fatal(err)
	}
	if err := database.InitDBWithPath(b.SQLitePath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.CloseDB() })
	tpl := strings.Replace(settings.DefaultXrayTemplate, "62789", fmt.Sprint(freePort(t)), 1)
	if err := settings.New(database.Process(), cluster.NodeFromJSON()).SetXrayConfigTemplate(tpl); err != nil {
		t.Fatal(err)
	}
	run := func(nodeID string) {
		t.Helper()
		cfg := config.PanelConfig{Listen: "127.0.0.1", Port: freePort(t), BasePath: "/lease/", SessionMaxAge: 30}
		if err := config.WriteSettingsToJSON(map[string]any{"listen": cfg.Listen, "port": cfg.Port, "webBasePath": cfg.BasePath,
			"nodeId": nodeID, "nodeAddress": "127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
		srv := NewServer(cfg, Options{DB: database.Process(), Node: cluster.NodeFromJSON()})
		if err := srv.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	moves := func() []string {
		var rows []model.NotifyEvent
		if err := database.GetDB().Where("kind = ?", "lease.moved").Order("seq").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			var p struct{ OldNodeID, NewNodeID string }
			if err := json.Unmarshal([]byte(r.Payload), &p); err != nil {
				t.Fatal(err)
			}
			out = append(out, r.NodeID+": "+p.OldNodeID+">"+p.NewNodeID)
		}
		return out
	}
	run("lease-m1")
	if got := moves(); len(got) != 0 {
		t.Fatalf("lease.moved %v after the first master: want none", got)
	}
	run("lease-m2")
	run("lease-m2")
	if got := fmt.Sprint(moves()); got != "[lease-m2: lease-m1>lease-m2]" {
		t.Fatalf("lease.moved %s: want one, recorded by lease-m2", got)
	}
}
