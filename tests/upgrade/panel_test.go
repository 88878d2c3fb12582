// Package upgrade tests the in-place upgrade from a real 3x-ui v2.9.4
// database with the real x-ui binary and the real Xray.
package upgrade

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

var (
	buildOnce sync.Once
	builtXUI  string
	buildErr  error
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// xuiBinary builds `x-ui` from this tree once per test binary.
func xuiBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "xui-upgrade-")
		if err != nil {
			buildErr = err
			return
		}
		builtXUI = filepath.Join(dir, "x-ui")
		cmd := exec.Command("go", "build", "-o", builtXUI, ".")
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtXUI
}

// fixturePath is the real 3x-ui v2.9.4 database committed with the upgrade
// package (see its testdata README); XUI_TEST_3XUI_FIXTURE overrides it.
func fixturePath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("XUI_TEST_3XUI_FIXTURE")
	if path == "" {
		path = filepath.Join(repoRoot(), "database", "upgrade3xui", "testdata", "3x-ui-v2.9.4.db")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("3x-ui v2.9.4 fixture: %v", err)
	}
	return path
}

// install is a DB folder holding a copy of the fixture, as an admin who
// replaced the 3x-ui binary with this one has it.
type install struct {
	t      *testing.T
	dir    string
	binDir string
	env    []string
}

func newInstall(t *testing.T) *install {
	t.Helper()
	in := &install{t: t, dir: t.TempDir(), binDir: t.TempDir()}
	data, err := os.ReadFile(fixturePath(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in.dir, "x-ui.db"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(xraytest.Binary(t), filepath.Join(in.binDir, "xray-linux-amd64")); err != nil {
		t.Fatal(err)
	}
	in.env = append(os.Environ(), "XUI_DB_FOLDER="+in.dir, "XUI_BIN_FOLDER="+in.binDir, "XUI_LOG_FOLDER="+in.dir)
	return in
}

func (in *install) path(name string) string { return filepath.Join(in.dir, name) }

// cli runs one x-ui command to completion.
func (in *install) cli(args ...string) (string, error) {
	in.t.Helper()
	cmd := exec.Command(xuiBinary(in.t), args...)
	cmd.Env = in.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// panel is a running `x-ui run`.
type panel struct {
	cmd    *exec.Cmd
	out    *bytes.Buffer
	mu     *sync.Mutex
	exited chan struct{}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (in *install) start(base string) *panel {
	in.t.Helper()
	p := &panel{out: &bytes.Buffer{}, mu: &sync.Mutex{}, exited: make(chan struct{})}
	p.cmd = exec.Command(xuiBinary(in.t), "run")
	p.cmd.Env = in.env
	p.cmd.Stdout = lockedWriter{p.mu, p.out}
	p.cmd.Stderr = lockedWriter{p.mu, p.out}
	if err := p.cmd.Start(); err != nil {
		in.t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	in.t.Cleanup(func() { p.stop(); in.t.Logf("x-ui output:\n%s", p.output()) })
	ok := xraytest.Eventually(30*time.Second, func() bool {
		select {
		case <-p.exited:
			return true
		default:
		}
		resp, err := http.Get(base + "login")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	select {
	case <-p.exited:
		in.t.Fatalf("x-ui exited early:\n%s", p.output())
	default:
	}
	if !ok {
		in.t.Fatalf("panel did not answer on %s:\n%s", base, p.output())
	}
	return p
}

func (p *panel) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// stop sends SIGINT and waits for the ordered shutdown.
func (p *panel) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// requireFree fails the test, naming the port, when a fixture port is in
// use on this machine: the test must not rewrite the install to dodge it.
func requireFree(t *testing.T, ports ...int) {
	t.Helper()
	for _, port := range ports {
		ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
		if err != nil {
			t.Fatalf("port %d (from the 3x-ui fixture) is in use on this machine: free it and rerun (%v)", port, err)
		}
		ln.Close()
	}
}

type envelope struct {
	Success bool            `json:"success"`
	Msg     string          `json:"msg"`
	Obj     json.RawMessage `json:"obj"`
}

type api struct {
	t    *testing.T
	base string
	csrf string
	http *http.Client
}

func login(t *testing.T, base, user, pass string) (*api, envelope) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 15 * time.Second}
	resp, err := hc.PostForm(base+"login", url.Values{"username": {user}, "password": {pass}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env envelope
	json.NewDecoder(resp.Body).Decode(&env)
	var info struct {
		CSRFToken string `json:"csrfToken"`
	}
	json.Unmarshal(env.Obj, &info)
	return &api{t: t, base: base, csrf: info.CSRFToken, http: hc}, env
}

func (a *api) mustOK(method, path string, body any, out any) {
	a.t.Helper()
	var reader io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		reader = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, a.base+"panel/api/"+path, reader)
	req.Header.Set("X-CSRF-Token", a.csrf)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var env envelope
	json.NewDecoder(resp.Body).Decode(&env)
	if resp.StatusCode != http.StatusOK || !env.Success {
		a.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, env.Msg)
	}
	if out != nil {
		if err := json.Unmarshal(env.Obj, out); err != nil {
			a.t.Fatalf("%s %s: decode %s: %v", method, path, env.Obj, err)
		}
	}
}

// setLoopbackTemplate installs the test template: the default one minus the
// private-destination block, so clients may reach the loopback payload server.
func (a *api) setLoopbackTemplate() {
	a.t.Helper()
	cfg := xraytest.ServerConfig(xraytest.FreePort(a.t))
	data, err := json.Marshal(cfg)
	if err != nil {
		a.t.Fatal(err)
	}
	a.mustOK(http.MethodPost, "setting/updateXrayTemplate", map[string]any{"xraySetting": string(data)}, nil)
}

func contains(s string, subs ...string) string {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return sub
		}
	}
	return ""
}
