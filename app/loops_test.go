package app

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

// TestStopReturnsOnlyAfterEveryLoopEnded: the real server with a real
// Xray (single node on SQLite; a shared-mode master with push, heartbeat
// and lease loops on MariaDB). Both Stop and StopLeavingXray return only
// after every loop Start started has ended (the LoopExited knob runs in
// each loop as it ends), and the master lease is still held while the
// loops end: it is released after them.
func TestStopReturnsOnlyAfterEveryLoopEnded(t *testing.T) {
	// Sequential: uses the process database and the XUI_* folders (process-wide).
	for _, leaveXray := range []bool{false, true} {
		name := "Stop"
		if leaveXray {
			name = "StopLeavingXray"
		}
		t.Run(name, func(t *testing.T) {
			dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
				testStopWaitsForLoops(t, b, leaveXray)
			})
		})
	}
}

func testStopWaitsForLoops(t *testing.T, b dbtest.Backend, leaveXray bool) {
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
	cfg := config.PanelConfig{Listen: "127.0.0.1", Port: freePort(t), BasePath: "/loops/", SessionMaxAge: 30}
	shared := b.Name == dbtest.MariaDB
	values := map[string]any{"listen": cfg.Listen, "port": cfg.Port, "webBasePath": cfg.BasePath}
	if shared {
		values["nodeId"], values["nodeAddress"] = "loops-master", "127.0.0.1"
	}
	if err := config.WriteSettingsToJSON(values); err != nil {
		t.Fatal(err)
	}

	srv := NewServer(cfg, Options{DB: database.Process(), Node: cluster.NodeFromJSON()})
	var mu sync.Mutex
	var exited []string
	leaseHeldAtExit := map[string]bool{}
	srv.Knobs.LoopExited = func(name string) {
		var lease model.SharedState
		held := database.GetDB().Where(&model.SharedState{Key: database.MasterLeaseKey}).First(&lease).Error == nil && lease.Holder != ""
		mu.Lock()
		exited = append(exited, name)
		leaseHeldAtExit[name] = held
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	started := srv.Loops()
	want := []string{"traffic flush", "node alerts", "notify dispatcher", "traffic drain", "xray health", "online clients", "ip limit", "periodic traffic reset", "audit prune", "telegram bot", "metrics"}
	if shared {
		want = append(want, "push", "heartbeat", "master lease", "node watch", "subscription nodes")
	}
	for _, w := range want {
		if !slices.Contains(started, w) {
			t.Fatalf("loop %q not started; started %q", w, started)
		}
	}
	stop := srv.Stop
	if leaveXray {
		stop = srv.StopLeavingXray
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if leaveXray {
		t.Cleanup(func() { _ = srv.App().Xray.StopXray() })
	}
	mu.Lock()
	defer mu.Unlock()
	// Reverse start order, every loop once, all before Stop returned.
	reversed := slices.Clone(started)
	slices.Reverse(reversed)
	if !slices.Equal(exited, reversed) {
		t.Fatalf("loops ended %q before Stop returned; want %q", exited, reversed)
	}
	if shared {
		for _, name := range exited {
			if !leaseHeldAtExit[name] {
				t.Fatalf("master lease released before loop %q ended", name)
			}
		}
		var lease model.SharedState
		if err := database.GetDB().Where(&model.SharedState{Key: database.MasterLeaseKey}).First(&lease).Error; err != nil || lease.Holder != "" {
			t.Fatalf("lease after Stop: holder %q, %v; want released", lease.Holder, err)
		}
	}
}
