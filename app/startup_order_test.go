package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/web/service"
)

// Defect 6: a worker served HTTP before it had built Xray from its snapshot
// (and a restart request in that window built from the database). Now the
// order is config -> cache -> Xray -> loops -> HTTP: when HTTP starts, Xray
// already runs the cached snapshot, here with the database unreachable.
func TestWorkerServesHTTPOnlyAfterXrayRunsItsSnapshot(t *testing.T) {
	// Sequential: sets XUI_DB_FOLDER and XUI_BIN_FOLDER (process-wide).
	dir := t.TempDir()
	t.Setenv("XUI_DB_FOLDER", dir)
	for _, k := range []string{"XUI_DB_TYPE", "XUI_DB_HOST", "XUI_DB_PORT", "XUI_DB_USER", "XUI_DB_PASSWORD", "XUI_DB_NAME"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	binDir := t.TempDir()
	t.Setenv("XUI_BIN_FOLDER", binDir)
	if err := os.Symlink(testXrayBinary(t), XrayBinaryPath()); err != nil {
		t.Fatal(err)
	}
	// A closed port: the worker's database is away for the whole test.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dbPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	cfg := config.PanelConfig{Listen: "127.0.0.1", Port: freePort(t), BasePath: "/order/", SessionMaxAge: 30}
	if err := config.WriteSettingsToJSON(map[string]any{
		"dbType": "mariadb", "dbHost": "127.0.0.1", "dbPort": dbPort, "dbUser": "nobody", "dbName": "nothing",
		"nodeRole": "worker", "nodeId": "order-w1", "syncInterval": 30, "trafficFlushInterval": 10,
		"listen": cfg.Listen, "port": cfg.Port, "webBasePath": cfg.BasePath,
	}); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	in := inboundtest.Inbound(model.VLESS, port, inboundtest.Client(model.VLESS, "order@x"))
	in.Id, in.Tag = 1, fmt.Sprintf("inbound-%d", port)
	tpl := strings.Replace(settings.DefaultXrayTemplate, "62789", fmt.Sprint(freePort(t)), 1)
	if err := service.SaveSharedAccountsSnapshot(config.GetSharedCachePath(), &service.SharedAccountsSnapshot{
		Version: 3, XrayTemplate: tpl, Inbounds: []*model.Inbound{in},
	}); err != nil {
		t.Fatal(err)
	}

	srv := NewServer(cfg, Options{DB: database.Process(), Node: cluster.NodeFromJSON()})
	checked := false
	srv.Knobs.BeforeServe = func() {
		checked = true
		x := srv.App().Xray
		if !x.IsXrayRunning() {
			t.Error("HTTP about to serve while Xray is not running")
			return
		}
		found := false
		for _, ic := range x.Process().Config().InboundConfigs {
			found = found || ic.Tag == in.Tag
		}
		if !found {
			t.Errorf("Xray does not run the cached snapshot's inbound %s", in.Tag)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if !checked {
		t.Fatal("BeforeServe did not run")
	}
}
