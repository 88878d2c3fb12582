package multinode

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

const panelPort = 2053

// node is one `x-ui run` process in its own test host.
type node struct {
	t      testing.TB
	name   string
	role   config.NodeRole
	host   *testHost
	proxy  *dbProxy
	dir    string // XUI_DB_FOLDER
	binDir string // XUI_BIN_FOLDER
	log    string
	cmd    *exec.Cmd
	exited chan struct{}
	env    []string // extra environment for `x-ui run`
	xuiBin string   // the x-ui binary last started
}

// nodeOptions are the node's x-ui.json node-group values.
type nodeOptions struct {
	syncSeconds, flushSeconds int
	nodeID                    string // default: the node's name
}

func newNode(t testing.TB, c *cluster, name string, role config.NodeRole, opts nodeOptions) *node {
	t.Helper()
	host := newTestHost(t, name)
	n := &node{t: t, name: name, role: role, host: host, dir: t.TempDir(), binDir: t.TempDir()}
	n.log = filepath.Join(n.dir, "x-ui.log")
	ownFolder(n.dir)
	ownFolder(n.binDir)
	n.proxy = startDBProxy(t, net.JoinHostPort(host.hostIP, "0"), net.JoinHostPort(c.db.Host, strconv.Itoa(c.db.Port)))
	if err := os.Symlink(c.xrayBin, filepath.Join(n.binDir, "xray-linux-amd64")); err != nil {
		t.Fatal(err)
	}
	nodeID := opts.nodeID
	if nodeID == "" {
		nodeID = name
	}
	_, proxyPort, _ := net.SplitHostPort(n.proxy.addr)
	port, _ := strconv.Atoi(proxyPort)
	settings := map[string]any{
		"databaseConnection": map[string]any{
			"dbType": "mariadb", "dbHost": host.hostIP, "dbPort": port,
			"dbUser": c.db.User, "dbName": c.db.Name,
		},
		"node": map[string]any{
			"nodeRole": string(role), "nodeId": nodeID, "nodeAddress": host.nsIP,
			"syncInterval": opts.syncSeconds, "trafficFlushInterval": opts.flushSeconds,
		},
		"panelNetwork": map[string]any{"listen": "0.0.0.0", "port": panelPort},
	}
	data, _ := json.MarshalIndent(settings, "", "  ")
	if err := os.WriteFile(filepath.Join(n.dir, "x-ui.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	c.password = c.db.Password
	t.Cleanup(func() {
		n.stop()
		// An Xray left by a killed panel that never restarted.
		if pid := n.xrayPid(); pid != 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if t.Failed() {
			n.dumpLog()
		}
	})
	return n
}

func (n *node) panelURL() string { return fmt.Sprintf("http://%s:%d/", n.host.nsIP, panelPort) }

// start runs `x-ui run` inside the node's namespace and waits for health.
func (n *node) start(c *cluster) {
	n.t.Helper()
	logFile, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		n.t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", n.host.ns, c.xuiBin, "run")
	cmd.Env = append(os.Environ(), "XUI_DB_FOLDER="+n.dir, "XUI_BIN_FOLDER="+n.binDir,
		"XUI_LOG_FOLDER="+n.dir, "XUI_DB_PASSWORD="+c.password)
	cmd.Env = append(cmd.Env, n.env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.cmd, n.exited, n.xuiBin = cmd, make(chan struct{}), c.xuiBin
	go func(exited chan struct{}) {
		cmd.Wait()
		logFile.Close()
		close(exited)
	}(n.exited)
	if !waitFor(30*time.Second, func() bool { return n.healthy() }) {
		n.dumpLog()
		n.t.Fatalf("%s: panel did not come up", n.name)
	}
}

// startRefused runs `x-ui run` and expects it to exit with an error
// before serving; it returns the process output.
func (n *node) startRefused(c *cluster) string {
	n.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", n.host.ns, c.xuiBin, "run")
	cmd.Env = append(os.Environ(), "XUI_DB_FOLDER="+n.dir, "XUI_BIN_FOLDER="+n.binDir,
		"XUI_LOG_FOLDER="+n.dir, "XUI_DB_PASSWORD="+c.password)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() {
		out, err = cmd.CombinedOutput()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		n.t.Fatalf("%s: x-ui kept running; want a refusal. Output:\n%s", n.name, out)
	}
	if err == nil {
		n.t.Fatalf("%s: x-ui exited cleanly; want a refusal. Output:\n%s", n.name, out)
	}
	return string(out)
}

func (n *node) healthy() bool {
	select {
	case <-n.exited:
		return false
	default:
	}
	hc := http.Client{Timeout: time.Second}
	resp, err := hc.Get(n.panelURL() + "health")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop is the explicit stop (`x-ui stop`, what x-ui.sh stop and the
// unit's ExecStop run): the panel drains, flushes and stops its Xray too.
func (n *node) stop() {
	if n.cmd == nil {
		return
	}
	cmd := exec.Command(n.xuiBin, "stop")
	cmd.Env = append(os.Environ(), "XUI_DB_FOLDER="+n.dir, "XUI_BIN_FOLDER="+n.binDir, "XUI_LOG_FOLDER="+n.dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		n.t.Errorf("%s: x-ui stop: %v\n%s", n.name, err, out)
	}
	n.signalStop(syscall.SIGKILL) // already exited; reaps it
}

// handoff ends the panel alone (SIGUSR2): Xray keeps serving.
func (n *node) handoff() { n.signalStop(syscall.SIGUSR2) }

func (n *node) signalStop(sig syscall.Signal) {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(sig)
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
	n.cmd = nil
}

// kill ends the panel with SIGKILL, as a crash would; its Xray keeps
// serving and the next start adopts it.
func (n *node) kill() {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Kill()
	<-n.exited
	n.cmd = nil
}

// xrayPid finds the node's Xray by its config path (0 when not running).
func (n *node) xrayPid() int {
	want := filepath.Join(n.binDir, "config.json")
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if len(args) > 0 && strings.HasSuffix(args[0], "xray-linux-amd64") && strings.Contains(string(cmdline), want) {
			if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && !strings.Contains(string(stat), ") Z ") {
				return pid
			}
		}
	}
	return 0
}

func (n *node) dumpLog() {
	data, _ := os.ReadFile(n.log)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	n.t.Logf("--- %s log (last %d lines) ---\n%s", n.name, len(lines), strings.Join(lines, "\n"))
}

// waitFor is xraytest.Eventually.
var waitFor = xraytest.Eventually
