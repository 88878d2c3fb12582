package scripts

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/tests/testbin"
	"github.com/mhsanaei/3x-ui/v2/traffic"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// soloPanel is one single-node SQLite panel run as `x-ui run` from the
// built binary, with the real Xray binary and one VLESS client.
type soloPanel struct {
	t          *testing.T
	env        map[string]string // XUI_* folders, as the unit sets them
	dir, bin   string            // XUI_DB_FOLDER, XUI_BIN_FOLDER
	port       int               // panel port
	email, id  string            // the VLESS client
	inboundPrt int
	cmd        *exec.Cmd
	exited     chan struct{}
	exitCode   int
}

// newSoloPanel seeds the database (an Xray template with its API on a free
// port, one VLESS inbound with one client) and starts the panel.
func newSoloPanel(t *testing.T) *soloPanel {
	t.Helper()
	p := &soloPanel{t: t, dir: t.TempDir(), bin: t.TempDir(), port: xraytest.FreePort(t),
		email: "dl@restart", id: xraytest.NewUUID(), inboundPrt: xraytest.FreePort(t)}
	p.env = map[string]string{"XUI_DB_FOLDER": p.dir, "XUI_BIN_FOLDER": p.bin, "XUI_LOG_FOLDER": p.dir}
	if err := os.Symlink(testbin.Xray(t), filepath.Join(p.bin, "xray-linux-"+goArch())); err != nil {
		t.Fatal(err)
	}
	settingsJSON := fmt.Sprintf(`{"panelNetwork":{"listen":"127.0.0.1","port":%d},"node":{"trafficFlushInterval":1}}`, p.port)
	if err := os.WriteFile(filepath.Join(p.dir, "x-ui.json"), []byte(settingsJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	p.seed()
	t.Cleanup(func() {
		if p.cmd != nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if pid := p.xrayPid(); pid != 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(p.dir, "panel.out"))
			t.Logf("panel output:\n%s", log)
		}
	})
	p.start()
	return p
}

// seed writes the template and the inbound through the services, on the
// panel's own SQLite file, before any panel runs.
func (p *soloPanel) seed() {
	p.t.Helper()
	t := p.t
	t.Setenv("XUI_DB_FOLDER", p.dir)
	if err := database.InitDBWithPath(filepath.Join(p.dir, "x-ui.db")); err != nil {
		t.Fatal(err)
	}
	defer database.CloseDB()
	tmpl, err := json.Marshal(xraytest.ServerConfig(xraytest.FreePort(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := settings.New(database.Process(), cluster.NodeFromJSON()).SetXrayConfigTemplate(string(tmpl)); err != nil {
		t.Fatal(err)
	}
	clients, _ := json.Marshal(map[string]any{"decryption": "none",
		"clients": []any{map[string]any{"id": p.id, "email": p.email, "enable": true}}})
	if _, err := inbound.New(database.Process(), cluster.NodeFromJSON()).AddInbound(&model.Inbound{
		Enable: true, Listen: "127.0.0.1", Port: p.inboundPrt, Protocol: model.VLESS, Remark: "restart",
		Settings: string(clients), StreamSettings: `{"network":"tcp","security":"none"}`,
	}); err != nil {
		t.Fatal(err)
	}
}

// start runs `x-ui run` and waits until it answers /health.
func (p *soloPanel) start() {
	p.t.Helper()
	out, err := os.OpenFile(filepath.Join(p.dir, "panel.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command(xuiBin, "run")
	cmd.Env = p.environ(nil)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) {
		_ = cmd.Wait()
		p.exitCode = cmd.ProcessState.ExitCode()
		out.Close()
		close(exited)
	}(p.exited)
	url := fmt.Sprintf("http://127.0.0.1:%d/health", p.port)
	if !xraytest.Eventually(30*time.Second, func() bool {
		resp, err := (&http.Client{Timeout: time.Second}).Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK && p.xrayPid() != 0
	}) {
		p.t.Fatal("panel (with its xray) did not come up")
	}
}

// environ is the caller's environment without XUI_*, plus the panel's
// folders and extra.
func (p *soloPanel) environ(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XUI_") {
			env = append(env, kv)
		}
	}
	for _, m := range []map[string]string{p.env, extra} {
		for k, v := range m {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// signal sends sig to the panel and waits for it to exit.
func (p *soloPanel) signal(sig syscall.Signal) int {
	p.t.Helper()
	_ = p.cmd.Process.Signal(sig)
	return p.waitExit()
}

func (p *soloPanel) waitExit() int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		p.t.Fatal("panel did not exit")
	}
	p.cmd = nil
	return p.exitCode
}

// xrayPid is the live Xray of the pid file in the bin folder (0: none).
func (p *soloPanel) xrayPid() int {
	data, err := os.ReadFile(filepath.Join(p.bin, "xray.pid"))
	if err != nil {
		return 0
	}
	var rec struct {
		Pid int `json:"pid"`
	}
	if json.Unmarshal(data, &rec) != nil || rec.Pid <= 0 {
		return 0
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(rec.Pid) + "/stat")
	if err != nil || strings.Contains(string(stat), ") Z ") {
		return 0
	}
	return rec.Pid
}

// counted is the client's download counter in the database and the bytes
// still pending in the journal, read after the panel stopped.
func (p *soloPanel) counted() (down int64, pending int64) {
	p.t.Helper()
	p.t.Setenv("XUI_DB_FOLDER", p.dir)
	if err := database.InitDBWithPath(filepath.Join(p.dir, "x-ui.db")); err != nil {
		p.t.Fatal(err)
	}
	defer database.CloseDB()
	var ct xray.ClientTraffic
	if err := database.GetDB().Where("email = ?", p.email).First(&ct).Error; err != nil {
		p.t.Fatal(err)
	}
	n, inflight, _ := traffic.NewJournal(filepath.Join(p.dir, "traffic-pending.json")).Stats()
	if inflight {
		n++
	}
	return ct.Down, int64(n)
}

// TestSIGTERMKeepsDownloadWholeAndCountedOnce: SIGTERM (what systemctl
// restart, x-ui.sh restart and an upgrade send) in the middle of a
// download ends the panel alone; the download completes through the same
// Xray, the next panel adopts it, and after `x-ui.sh stop` (which stops
// Xray too) the database holds the download's bytes exactly once.
func TestSIGTERMKeepsDownloadWholeAndCountedOnce(t *testing.T) {
	p := newSoloPanel(t)
	socks, stopClient := xraytest.StartClient(t, xraytest.VLESSOutbound(p.inboundPrt, p.id, ""), "")
	defer stopClient()
	payload := xraytest.StartPayloadServer(t, "")
	const size = 4 << 20
	stream := xraytest.StartDownload(socks, fmt.Sprintf("%s/slow?n=%d&rate=%d", payload, size, 1<<20))
	defer stream.Stop()
	if !stream.WaitBytes(512<<10, 15*time.Second) {
		t.Fatalf("download did not start: %v", stream.Err())
	}
	xrayPid := p.xrayPid()
	if code := p.signal(syscall.SIGTERM); code != 0 {
		t.Fatalf("panel exit code %d after SIGTERM, want 0", code)
	}
	if got := p.xrayPid(); got != xrayPid || !stream.Flowing(3*time.Second) {
		t.Fatalf("xray (pid %d -> %d) or the download died with the panel: %v", xrayPid, got, stream.Err())
	}
	p.start()
	if got := p.xrayPid(); got != xrayPid {
		t.Fatalf("the next panel replaced xray (pid %d -> %d) instead of adopting it", xrayPid, got)
	}
	if !xraytest.Eventually(60*time.Second, stream.Done) {
		t.Fatal("download never finished")
	}
	if got, err := stream.Stop(); err != nil || got != size {
		t.Fatalf("download across the SIGTERM: %d of %d bytes, %v", got, size, err)
	}

	env := map[string]string{"XUI_BIN": xuiBin, "XUI_NO_SYSTEMD": "1", "XUI_ENV_FILE": filepath.Join(p.dir, "no-env")}
	for k, v := range p.env {
		env[k] = v
	}
	run(t, env, "", script("x-ui.sh"), "stop").expect(t, 0, "stopped")
	if code := p.waitExit(); code != 0 {
		t.Fatalf("panel exit code %d after x-ui.sh stop", code)
	}
	if pid := p.xrayPid(); pid != 0 {
		t.Fatalf("xray (pid %d) outlived x-ui.sh stop", pid)
	}
	down, pending := p.counted()
	t.Logf("moved %d bytes across a panel SIGTERM; counted down=%d", size, down)
	if pending != 0 || down < size || float64(down) > float64(size)*1.02 {
		t.Fatalf("counted down=%d (journal entries left %d) for %d bytes moved: lost or counted twice", down, pending, size)
	}
}

// TestUnitExecStopKeepsXrayOnRestartStopsItOnStop drives the unit's
// ExecStop command as systemd would: during a restart (a restart job is
// queued) or after the panel exited on its own it leaves Xray alone, and
// the SIGTERM systemd then sends ends the panel only; on a plain stop it
// stops the panel and Xray. systemctl's job list is the one piece of
// systemd it reads; a stand-in on PATH answers it.
func TestUnitExecStopKeepsXrayOnRestartStopsItOnStop(t *testing.T) {
	p := newSoloPanel(t)
	jobs := filepath.Join(t.TempDir(), "jobs")
	pathDir := t.TempDir()
	systemctl := "#!/bin/sh\n[ \"$1\" = list-jobs ] && cat " + jobs + " 2>/dev/null\nexit 0\n"
	if err := os.WriteFile(filepath.Join(pathDir, "systemctl"), []byte(systemctl), 0o755); err != nil {
		t.Fatal(err)
	}
	execStop := func(mainPid int) result {
		env := map[string]string{"PATH": pathDir + ":" + os.Getenv("PATH")}
		if mainPid != 0 {
			env["MAINPID"] = strconv.Itoa(mainPid)
		}
		for k, v := range p.env {
			env[k] = v
		}
		return run(t, env, "", xuiBin, "stop", "-unit", "x-ui.service")
	}
	xrayPid := p.xrayPid()

	// systemctl restart: ExecStop with a restart job, then SIGTERM.
	if err := os.WriteFile(jobs, []byte("42 x-ui.service restart running\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	execStop(p.cmd.Process.Pid).expect(t, 0, "xray keeps serving")
	if code := p.signal(syscall.SIGTERM); code != 0 || p.xrayPid() != xrayPid {
		t.Fatalf("restart: panel exit %d, xray pid %d -> %d; want 0 and the same xray", code, xrayPid, p.xrayPid())
	}
	// After the panel exited on its own systemd unsets MAINPID.
	execStop(0).expect(t, 0, "xray keeps serving")
	if p.xrayPid() != xrayPid {
		t.Fatal("ExecStop after the panel exited stopped xray")
	}
	p.start()
	if p.xrayPid() != xrayPid {
		t.Fatalf("the next panel did not adopt xray (pid %d -> %d)", xrayPid, p.xrayPid())
	}

	// systemctl stop: no restart job.
	if err := os.WriteFile(jobs, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	execStop(p.cmd.Process.Pid).expect(t, 0, "stopped")
	if code := p.waitExit(); code != 0 {
		t.Fatalf("panel exit code %d after ExecStop", code)
	}
	if pid := p.xrayPid(); pid != 0 {
		t.Fatalf("xray (pid %d) outlived the unit's stop", pid)
	}
}

// TestStopAfterCrashStopsTheOrphanXray: after a crash (SIGKILL) Xray keeps
// serving; `x-ui stop` with no panel running stops that Xray directly.
func TestStopAfterCrashStopsTheOrphanXray(t *testing.T) {
	p := newSoloPanel(t)
	xrayPid := p.xrayPid()
	p.signal(syscall.SIGKILL)
	if p.xrayPid() != xrayPid {
		t.Fatalf("xray (pid %d) died with the crashed panel", xrayPid)
	}
	run(t, p.env, "", xuiBin, "stop").expect(t, 0, "x-ui was not running; its xray stopped")
	if pid := p.xrayPid(); pid != 0 {
		t.Fatalf("xray (pid %d) outlived x-ui stop", pid)
	}
	run(t, p.env, "", xuiBin, "stop").expect(t, 0, "x-ui is not running")
}
