package xray_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

func newProcess(t *testing.T, supervise bool) (*xray.Process, string) {
	t.Helper()
	cfgPath := filepath.Join(t.TempDir(), "bin", "config.json")
	p := xray.NewProcess(xray.ProcessOptions{
		BinaryPath: xraytest.Binary(t),
		ConfigPath: cfgPath,
		Supervise:  supervise,
	})
	t.Cleanup(func() { _ = p.Stop() })
	return p, cfgPath
}

func vlessInbound(port int, tag string, clients ...map[string]any) xray.InboundConfig {
	if clients == nil {
		clients = []map[string]any{}
	}
	return xraytest.Inbound("vless", port, tag, map[string]any{"clients": clients, "decryption": "none"})
}

func addr(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

// waitFor polls cond every 50ms for at most within.
func waitFor(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestProcessStartStopRestart(t *testing.T) {
	p, cfgPath := newProcess(t, false)
	apiPort := xraytest.FreePort(t)
	cfg := xraytest.ServerConfig(apiPort)

	if p.IsRunning() || p.Pid() != 0 || p.Uptime() != 0 || p.Config() != nil {
		t.Fatal("a new process must report not running with no config")
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop before Start: %v", err)
	}
	if err := p.Start(cfg); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if !p.IsRunning() || p.Pid() == 0 || p.Uptime() <= 0 {
		t.Fatalf("after Start: running=%v pid=%d uptime=%v", p.IsRunning(), p.Pid(), p.Uptime())
	}
	if got := p.APIAddress(); got != addr(apiPort) {
		t.Fatalf("APIAddress = %q, want %q", got, addr(apiPort))
	}
	if !xraytest.WaitPort(addr(apiPort), time.Second) {
		t.Fatal("api port is not accepting connections after Start returned")
	}
	info, err := os.Stat(cfgPath)
	if err != nil {
		t.Fatalf("config.json: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("config.json mode = %v, want 0600", info.Mode().Perm())
	}
	var onDisk xray.Config
	data, _ := os.ReadFile(cfgPath)
	if err := json.Unmarshal(data, &onDisk); err != nil || !onDisk.Equals(cfg) {
		t.Fatalf("config.json does not hold the started config (err %v)", err)
	}
	if !p.Config().Equals(cfg) {
		t.Fatal("Config() is not the started config")
	}
	if err := p.Start(cfg); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second Start: got %v, want an already-running error", err)
	}
	if v := p.Version(); !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(v) {
		t.Fatalf("Version = %q", v)
	}
	if !hasLine(p.LastLogs(0), "started") {
		t.Fatalf("LastLogs has no startup line: %q", p.LastLogs(0))
	}

	// Restart with an extra inbound: new pid, new inbound served.
	oldPid := p.Pid()
	inPort := xraytest.FreePort(t)
	cfg2 := xraytest.ServerConfig(apiPort, vlessInbound(inPort, "in-restart"))
	if err := p.Restart(cfg2); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if p.Pid() == oldPid || !p.IsRunning() {
		t.Fatalf("Restart kept pid %d (running=%v)", oldPid, p.IsRunning())
	}
	if !xraytest.WaitPort(addr(inPort), time.Second) {
		t.Fatal("inbound added by Restart is not served")
	}
	if p.LastError() != "" || p.Restarts() != 0 {
		t.Fatalf("LastError=%q Restarts=%d after clean restarts", p.LastError(), p.Restarts())
	}

	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if p.IsRunning() || p.Pid() != 0 {
		t.Fatal("still running after Stop")
	}
	if xraytest.WaitPort(addr(apiPort), 100*time.Millisecond) {
		t.Fatal("api port still open after Stop")
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if p.LastError() != "" {
		t.Fatalf("Stop left LastError %q", p.LastError())
	}
}

func TestProcessSupervisedCrashRestart(t *testing.T) {
	t.Parallel() // its own Xray process on free ports; the two slowest tests here
	p, cfgPath := newProcess(t, true)
	apiPort := xraytest.FreePort(t)
	if err := p.Start(xraytest.ServerConfig(apiPort)); err != nil {
		t.Fatalf("Start: %v", err)
	}

	crash := func(wantRestarts int) {
		t.Helper()
		pid := p.Pid()
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill -9 %d: %v", pid, err)
		}
		ok := waitFor(15*time.Second, func() bool {
			return p.Restarts() == wantRestarts && p.IsRunning() && p.Pid() != pid
		})
		if !ok {
			t.Fatalf("no supervised restart after kill -9: restarts=%d running=%v lastErr=%q logs=%q",
				p.Restarts(), p.IsRunning(), p.LastError(), p.LastLogs(10))
		}
		if !xraytest.WaitPort(p.APIAddress(), 2*time.Second) {
			t.Fatal("api port not back after the supervised restart")
		}
	}
	crash(1)
	if !strings.Contains(p.LastError(), "exited unexpectedly") {
		t.Fatalf("LastError = %q, want the crash reason", p.LastError())
	}
	if !hasLine(p.LastLogs(0), "restarted by supervisor") {
		t.Fatalf("LastLogs lacks the restart note: %q", p.LastLogs(0))
	}

	// UpdateConfig changes the file and the recorded config, not the process;
	// the next crash restart then serves the updated config.
	pid := p.Pid()
	inPort := xraytest.FreePort(t)
	updated := xraytest.ServerConfig(apiPort, vlessInbound(inPort, "in-updated"))
	if err := p.UpdateConfig(updated); err != nil {
		t.Fatalf("UpdateConfig: %v", err)
	}
	if p.Pid() != pid || !p.Config().Equals(updated) {
		t.Fatal("UpdateConfig restarted Xray or did not record the config")
	}
	if data, _ := os.ReadFile(cfgPath); !strings.Contains(string(data), "in-updated") {
		t.Fatal("UpdateConfig did not rewrite config.json")
	}
	if xraytest.WaitPort(addr(inPort), 100*time.Millisecond) {
		t.Fatal("UpdateConfig must not apply the config to the running process")
	}
	crash(2)
	if !xraytest.WaitPort(addr(inPort), 2*time.Second) {
		t.Fatal("the crash restart did not use the updated config")
	}

	// After Stop nothing restarts it, even past the next backoff.
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	time.Sleep(2500 * time.Millisecond)
	if p.IsRunning() || p.Restarts() != 2 {
		t.Fatalf("process came back after Stop: running=%v restarts=%d", p.IsRunning(), p.Restarts())
	}
}

func TestProcessBadConfig(t *testing.T) {
	p, _ := newProcess(t, true)
	bin := xraytest.Binary(t)
	apiPort := xraytest.FreePort(t)
	bad := xraytest.ServerConfig(apiPort, xraytest.Inbound("vless", xraytest.FreePort(t), "in-bad",
		map[string]any{"clients": []any{}})) // no "decryption": Xray refuses it

	err := p.Start(bad)
	if err == nil || !strings.Contains(err.Error(), `"decryption"`) {
		t.Fatalf("Start with a bad config: got %v, want Xray's decryption message", err)
	}
	if p.IsRunning() || !strings.Contains(p.LastError(), "decryption") {
		t.Fatalf("after failed start: running=%v LastError=%q", p.IsRunning(), p.LastError())
	}
	err = xray.TestConfig(bin, bad)
	if err == nil || !strings.Contains(err.Error(), `"decryption"`) {
		t.Fatalf("TestConfig(bad) = %v, want Xray's decryption message", err)
	}
	if err := xray.TestConfig(bin, xraytest.ServerConfig(apiPort)); err != nil {
		t.Fatalf("TestConfig(good) = %v", err)
	}
	if err := xray.TestConfig(bin, nil); err == nil {
		t.Fatal("TestConfig(nil) accepted")
	}

	// A good start afterwards clears the error.
	if err := p.Start(xraytest.ServerConfig(apiPort)); err != nil {
		t.Fatalf("Start after a failure: %v", err)
	}
	if p.LastError() != "" {
		t.Fatalf("LastError after a good start = %q", p.LastError())
	}
}

func TestProcessAPIPortInUse(t *testing.T) {
	p, _ := newProcess(t, false)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	err = p.Start(xraytest.ServerConfig(port))
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("Start on a busy api port: got %v", err)
	}
	if p.IsRunning() {
		t.Fatal("running although start failed")
	}
}

func TestProcessMissingBinary(t *testing.T) {
	p := xray.NewProcess(xray.ProcessOptions{
		BinaryPath: filepath.Join(t.TempDir(), "no-such-xray"),
		ConfigPath: filepath.Join(t.TempDir(), "config.json"),
	})
	if err := p.Start(xraytest.ServerConfig(xraytest.FreePort(t))); err == nil || p.LastError() == "" {
		t.Fatalf("Start with a missing binary: err=%v LastError=%q", err, p.LastError())
	}
	if p.Version() != "" {
		t.Fatal("Version of a missing binary must be empty")
	}
}

func hasLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}
