package xray_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

func detachedProcess(t *testing.T, cfgPath string) *xray.Process {
	t.Helper()
	p := xray.NewProcess(xray.ProcessOptions{
		BinaryPath: xraytest.Binary(t), ConfigPath: cfgPath, Supervise: true, Detach: true,
	})
	t.Cleanup(func() { _ = p.Stop() })
	return p
}

// TestDetachedXrayIsAdopted: a second Process (a restarted panel) adopts
// the detached Xray of the first one, which it never stopped: same pid,
// same config, live API and logs; Stop through the adopter ends it and
// removes the pid file, and a later Adopt finds nothing.
func TestDetachedXrayIsAdopted(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	first := detachedProcess(t, cfgPath)
	apiPort, port := xraytest.FreePort(t), xraytest.FreePort(t)
	cfg := xraytest.ServerConfig(apiPort, vlessInbound(port, "in", map[string]any{"id": xraytest.NewUUID(), "email": "a@x"}))
	if err := first.Start(cfg); err != nil {
		t.Fatal(err)
	}
	pid := first.Pid()
	if !waitFor(5*time.Second, func() bool { return len(first.LastLogs(0)) > 0 }) {
		t.Fatal("detached xray's output never reached the log ring")
	}

	second := detachedProcess(t, cfgPath)
	ok, err := second.Adopt()
	if err != nil || !ok {
		t.Fatalf("adopt: %v %v", ok, err)
	}
	if second.Pid() != pid || !second.Config().Equals(cfg) || second.APIAddress() != addr(apiPort) {
		t.Fatalf("adopted pid %d config %v api %s; want pid %d", second.Pid(), second.Config() != nil, second.APIAddress(), pid)
	}
	api := xray.NewAPIClient(second.APIAddress())
	defer api.Close()
	if _, _, err := api.QueryTraffic(false); err != nil {
		t.Fatalf("adopted api: %v", err)
	}
	if ok, _ := second.Adopt(); ok {
		t.Fatal("a running process adopted twice")
	}

	if err := second.Stop(); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool { return !first.IsRunning() }) {
		t.Fatal("xray still runs after Stop of the adopter")
	}
	if _, err := os.Stat(second.PidPath()); !os.IsNotExist(err) {
		t.Fatalf("pid file left after Stop: %v", err)
	}
	third := detachedProcess(t, cfgPath)
	if ok, err := third.Adopt(); ok || err != nil {
		t.Fatalf("adopt after stop: %v %v", ok, err)
	}
}

// TestAdoptRefusesStrangers: a pid file naming another program (a
// recycled pid) is ignored and that program is left alone; a matching
// Xray whose API does not answer is stopped so a fresh start can bind.
func TestAdoptRefusesStrangers(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	p := detachedProcess(t, cfgPath)
	rec, _ := json.Marshal(map[string]any{"pid": os.Getpid(), "binary": xraytest.Binary(t), "config": cfgPath})
	if err := os.WriteFile(p.PidPath(), rec, 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Adopt(); ok || err != nil {
		t.Fatalf("adopted a stranger: %v %v", ok, err)
	}

	// A detached Xray started with a config whose api is then rewritten
	// to a port nobody listens on.
	first := detachedProcess(t, cfgPath)
	apiPort := xraytest.FreePort(t)
	if err := first.Start(xraytest.ServerConfig(apiPort)); err != nil {
		t.Fatal(err)
	}
	pid := first.Pid()
	data, _ := os.ReadFile(cfgPath)
	dead := xraytest.FreePort(t)
	data = []byte(strings.ReplaceAll(string(data), fmt.Sprint(apiPort), fmt.Sprint(dead)))
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	second := detachedProcess(t, cfgPath)
	ok, err := second.Adopt()
	if ok || err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Fatalf("adopt of an unmanageable xray: %v %v", ok, err)
	}
	if !waitFor(10*time.Second, func() bool { return !first.IsRunning() }) {
		t.Fatalf("unmanageable xray (pid %d) was not stopped", pid)
	}
}
