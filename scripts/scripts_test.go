// Package scripts tests the operator shell tools at the repository root
// (x-ui.sh and install.sh) against a real x-ui binary built from this tree,
// on a temp data folder, with real SQLite and MariaDB.
package scripts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

// xuiBin is the x-ui binary TestMain builds once for every test.
var xuiBin string

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "xui-scripts-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	xuiBin = filepath.Join(dir, "x-ui")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	build := exec.CommandContext(ctx, goTool(), "build", "-o", xuiBin, ".")
	build.Dir = moduleRoot()
	out, err := build.CombinedOutput()
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build x-ui: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func (r result) all() string { return r.stdout + r.stderr }

// run executes a command with env on top of the caller's environment minus
// every XUI_* variable (an XUI_DB_* override would change what is tested).
func run(t *testing.T, env map[string]string, stdin string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XUI_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("run %s %v: %v", name, args, err)
	}
	return res
}

func script(name string) string { return filepath.Join(moduleRoot(), name) }

// expect asserts an exit code and that the output holds every want string.
func (r result) expect(t *testing.T, code int, want ...string) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.all(), w) {
			t.Fatalf("output lacks %q\nstdout: %s\nstderr: %s", w, r.stdout, r.stderr)
		}
	}
	return r
}

// showValue is one "key: value" line of `x-ui setting -show true` output.
func showValue(t *testing.T, out, key string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %q in settings output:\n%s", key, out)
	return ""
}

// nodeGroup reads the node group of x-ui.json in dir.
func nodeGroup(t *testing.T, dir string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "x-ui.json"))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]any{}
	}
	if err != nil {
		t.Fatal(err)
	}
	var settings map[string]any
	if err := json.Unmarshal(data, &settings); err != nil {
		t.Fatalf("x-ui.json: %v\n%s", err, data)
	}
	node, _ := settings["node"].(map[string]any)
	if node == nil {
		node = map[string]any{}
	}
	return node
}

func TestScriptsSyntax(t *testing.T) {
	for _, name := range []string{"x-ui.sh", "install.sh"} {
		run(t, nil, "", "bash", "-n", script(name)).expect(t, 0)
	}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		run(t, nil, "", sc, script("x-ui.sh"), script("install.sh")).expect(t, 0)
	} else {
		t.Log("shellcheck not installed: only bash -n was run")
	}
}

// xuiEnv points x-ui.sh at the built binary and a temp data folder.
func xuiEnv(t *testing.T) (map[string]string, string) {
	dir := t.TempDir()
	return map[string]string{
		"XUI_BIN":        xuiBin,
		"XUI_DB_FOLDER":  dir,
		"XUI_LOG_FOLDER": filepath.Join(dir, "log"),
		"XUI_ENV_FILE":   filepath.Join(dir, "no-such-env-file"),
		"XUI_NO_SYSTEMD": "1",
	}, dir
}

func TestXUIScriptSQLite(t *testing.T) {
	env, dir := xuiEnv(t)
	xs := script("x-ui.sh")

	show := run(t, env, "", xs, "settings").expect(t, 0, "dbType: sqlite")
	if showValue(t, show.stdout, "nodeRole") != "master" || showValue(t, show.stdout, "syncInterval") != "30" {
		t.Fatalf("default settings:\n%s", show.stdout)
	}

	// Rejected changes surface the binary's message and exit non-zero.
	run(t, env, "", xs, "node-role", "worker").expect(t, 2, "nodeId: worker mode requires a nodeId", "nothing was changed")
	run(t, env, "", xs, "node-role", "worker", "w1").expect(t, 2, "dbType: worker mode requires mariadb")
	run(t, env, "", xs, "node-role", "boss").expect(t, 2, "nodeRole")
	if role := nodeGroup(t, dir)["nodeRole"]; role != nil {
		t.Fatalf("rejected change wrote nodeRole %v", role)
	}

	run(t, env, "", xs, "node-id", "n1").expect(t, 0, "restart")
	run(t, env, "", xs, "node-address", "n1.example.com").expect(t, 0)
	run(t, env, "", xs, "sync-interval", "15").expect(t, 0)
	run(t, env, "", xs, "flush-interval", "5").expect(t, 0)
	run(t, env, "", xs, "node-role", "master").expect(t, 0)
	run(t, env, "", xs, "sync-interval", "0").expect(t, 2, "syncInterval: must be positive")
	run(t, env, "", xs, "flush-interval", "x").expect(t, 2, "trafficFlushInterval")
	node := nodeGroup(t, dir)
	want := map[string]any{"nodeRole": "master", "nodeId": "n1", "nodeAddress": "n1.example.com",
		"syncInterval": 15.0, "trafficFlushInterval": 5.0}
	for k, v := range want {
		if node[k] != v {
			t.Fatalf("x-ui.json node.%s = %v, want %v (node group %v)", k, node[k], v, node)
		}
	}
	run(t, env, "", xs, "node").expect(t, 0, "Node role: master", "Node ID: n1", "Node address: n1.example.com",
		"Database: sqlite", "Sync interval: 15s", "Traffic flush interval: 5s")

	run(t, env, "", xs, "set-port", "70000").expect(t, 2, "port")
	run(t, env, "", xs, "set-port", "2099").expect(t, 0)
	run(t, env, "", xs, "set-base-path", "/a b/").expect(t, 2, "webBasePath")
	run(t, env, "", xs, "set-base-path", "/secret/").expect(t, 0)
	run(t, env, "", xs, "set-username", "root1").expect(t, 0)
	run(t, env, "long-enough\n", xs, "set-password").expect(t, 0)
	run(t, env, "abc\n", xs, "set-password").expect(t, 2, "password: must be at least 8 characters")
	// The binary's own subcommands pass through.
	show = run(t, env, "", xs, "setting", "-show", "true").expect(t, 0)
	if showValue(t, show.stdout, "port") != "2099" || showValue(t, show.stdout, "webBasePath") != "/secret/" ||
		showValue(t, show.stdout, "hasDefaultCredential") != "false" {
		t.Fatalf("settings after changes:\n%s", show.stdout)
	}

	// Without systemd, service actions fail clearly; status is "unknown" (4).
	run(t, env, "", xs, "status").expect(t, 4, "systemd is not available")
	run(t, env, "", xs, "restart").expect(t, 1, "systemd is not available")
	run(t, env, "", xs, "logs").expect(t, 1, "no log file")
	run(t, env, "", xs, "no-such-command").expect(t, 2, "unknown command", "Usage:")
	run(t, env, "", xs, "node-id").expect(t, 2, "expected 1 argument")

	// The menu reads choices from stdin and ends at 0 (or end of input).
	run(t, env, "13\n15\nmenu-node\n0\n", xs).expect(t, 0, "x-ui management", "Node role: master")
	if got := nodeGroup(t, dir)["nodeId"]; got != "menu-node" {
		t.Fatalf("menu set nodeId %v", got)
	}

	missing := map[string]string{"XUI_BIN": filepath.Join(dir, "nope"), "XUI_DB_FOLDER": dir, "XUI_ENV_FILE": "/nonexistent"}
	run(t, missing, "", xs, "settings").expect(t, 1, "x-ui binary not found")
}

func TestXUIScriptMariaDBWorker(t *testing.T) {
	db := dbtest.NewMariaDB(t)
	migrateAsMaster(t, db)
	env, dir := xuiEnv(t)
	xs := script("x-ui.sh")
	run(t, env, "wrong\n", xs, "db-mariadb", db.Host, "notaport", db.User, db.Name).expect(t, 2, "Invalid settings")
	run(t, env, db.Password+"\n", xs, "db-mariadb", db.Host, fmt.Sprint(db.Port), db.User, db.Name).expect(t, 0)

	run(t, env, "", xs, "node-role", "worker").expect(t, 2, "nodeId: worker mode requires a nodeId")
	if role := nodeGroup(t, dir)["nodeRole"]; role != nil {
		t.Fatalf("rejected change wrote nodeRole %v", role)
	}
	run(t, env, "", xs, "node-role", "worker", "worker-3").expect(t, 0)
	node := nodeGroup(t, dir)
	if node["nodeRole"] != "worker" || node["nodeId"] != "worker-3" {
		t.Fatalf("node group after node-role worker worker-3: %v", node)
	}
	show := run(t, env, "", xs, "settings").expect(t, 0, "dbType: mariadb", "dbName: "+db.Name)
	if strings.Contains(show.all(), "database error") || showValue(t, show.stdout, "nodeRole") != "worker" {
		t.Fatalf("settings on the worker:\n%s%s", show.stdout, show.stderr)
	}
	// Back to SQLite is refused while the node is a worker.
	run(t, env, "", xs, "db-sqlite").expect(t, 2, "dbType: worker mode requires mariadb")
}

// release makes a release folder: the built x-ui and the real Xray binary.
func release(t *testing.T) string {
	t.Helper()
	rel := t.TempDir()
	if err := os.Mkdir(filepath.Join(rel, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	xray := os.Getenv("XUI_TEST_XRAY_BIN")
	if xray == "" {
		xray = filepath.Join(moduleRoot(), "bin", "xray-linux-amd64")
	}
	if _, err := os.Stat(xray); err != nil {
		t.Fatalf("xray binary missing (run make xray): %v", err)
	}
	for src, dst := range map[string]string{xuiBin: "x-ui", xray: "bin/xray-linux-" + goArch()} {
		if err := os.Symlink(src, filepath.Join(rel, dst)); err != nil {
			t.Fatal(err)
		}
	}
	return rel
}

func goArch() string {
	if runtime.GOARCH == "arm64" {
		return "arm64"
	}
	return "amd64"
}

// installEnv is install.sh's folders under one temp root.
func installEnv(t *testing.T) (map[string]string, string) {
	root := t.TempDir()
	return map[string]string{
		"XUI_FOLDER":      filepath.Join(root, "usr/local/x-ui"),
		"XUI_DB_FOLDER":   filepath.Join(root, "etc/x-ui"),
		"XUI_LOG_FOLDER":  filepath.Join(root, "var/log/x-ui"),
		"XUI_SYSTEMD_DIR": filepath.Join(root, "etc/systemd/system"),
		"XUI_ENV_FILE":    filepath.Join(root, "etc/default/x-ui"),
		"XUI_SCRIPT_PATH": filepath.Join(root, "usr/bin/x-ui"),
		"XUI_NO_SYSTEMD":  "1",
	}, root
}

var loginLine = regexp.MustCompile(`(?m)^(Username|Password|Web base path): +(\S+)$`)

func TestInstallFreshAndUpgradeSQLite(t *testing.T) {
	rel := release(t)
	env, _ := installEnv(t)
	inst := script("install.sh")

	// A worker on SQLite is rejected with the binary's message, then the
	// defaults at end of input give a SQLite master.
	res := run(t, env, "sqlite\nworker\nw1\n\n\n", inst, rel).expect(t, 0,
		"dbType: worker mode requires mariadb", "try again", "fresh install")
	creds := map[string]string{}
	for _, m := range loginLine.FindAllStringSubmatch(res.stdout, -1) {
		creds[m[1]] = m[2]
	}
	if len(creds["Username"]) != 10 || len(creds["Password"]) != 16 || len(creds["Web base path"]) < 10 {
		t.Fatalf("fresh install printed no random login:\n%s", res.stdout)
	}
	for _, p := range []string{"XUI_FOLDER:x-ui", "XUI_FOLDER:bin/xray-linux-" + goArch(), "XUI_FOLDER:x-ui.sh", "XUI_SCRIPT_PATH:"} {
		key, rest, _ := strings.Cut(p, ":")
		path := filepath.Join(env[key], rest)
		if st, err := os.Lstat(path); err != nil || !st.Mode().IsRegular() || st.Mode()&0o100 == 0 {
			t.Fatalf("%s: not an installed executable file: %v", path, err)
		}
	}
	unit, err := os.ReadFile(filepath.Join(env["XUI_SYSTEMD_DIR"], "x-ui.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ExecStart=" + env["XUI_FOLDER"] + "/x-ui run", "Environment=XUI_DB_FOLDER=" + env["XUI_DB_FOLDER"],
		"Environment=XUI_BIN_FOLDER=" + env["XUI_FOLDER"] + "/bin", "WantedBy=multi-user.target", "Restart=on-failure"} {
		if !strings.Contains(string(unit), want) {
			t.Fatalf("unit lacks %q:\n%s", want, unit)
		}
	}

	// The installed command finds its folders through the env file alone.
	cmdEnv := map[string]string{"XUI_ENV_FILE": env["XUI_ENV_FILE"], "XUI_NO_SYSTEMD": "1"}
	xs := env["XUI_SCRIPT_PATH"]
	show := run(t, cmdEnv, "", xs, "settings").expect(t, 0, "dbType: sqlite", "nodeRole: master")
	if showValue(t, show.stdout, "hasDefaultCredential") != "false" || showValue(t, show.stdout, "webBasePath") != creds["Web base path"] {
		t.Fatalf("settings after fresh install:\n%s", show.stdout)
	}
	run(t, cmdEnv, "", xs, "set-port", "2222").expect(t, 0)

	// An upgrade asks nothing (the answers below would switch to MariaDB
	// if read) and keeps every setting and the login.
	res = run(t, env, "mariadb\n127.0.0.1\n3306\nx\nx\nx\n\nworker\nw\n\n\n", inst, rel).expect(t, 0, "upgrade: existing settings")
	if strings.Contains(res.stdout, "Username:") {
		t.Fatalf("upgrade reset the login:\n%s", res.stdout)
	}
	show = run(t, cmdEnv, "", xs, "settings").expect(t, 0, "dbType: sqlite", "nodeRole: master", "hasDefaultCredential: false")
	if showValue(t, show.stdout, "port") != "2222" || showValue(t, show.stdout, "webBasePath") != creds["Web base path"] {
		t.Fatalf("settings after upgrade:\n%s", show.stdout)
	}

	run(t, env, "", inst).expect(t, 2, "Usage: install.sh")
	run(t, env, "", inst, t.TempDir()).expect(t, 1, "missing or not executable")
}

func TestInstallFreshMariaDBWorker(t *testing.T) {
	db := dbtest.NewMariaDB(t)
	migrateAsMaster(t, db)
	rel := release(t)
	env, _ := installEnv(t)
	answers := strings.Join([]string{"mariadb", db.Host, fmt.Sprint(db.Port), db.User, db.Password, db.Name, "",
		"worker", "worker-9", "w9.example.com", "2061"}, "\n") + "\n"
	res := run(t, env, answers, script("install.sh"), rel).expect(t, 0, "fresh install", "worker node")
	if strings.Contains(res.stdout, "Username:") {
		t.Fatalf("a worker install must not change the shared login:\n%s", res.stdout)
	}
	cmdEnv := map[string]string{"XUI_ENV_FILE": env["XUI_ENV_FILE"], "XUI_NO_SYSTEMD": "1"}
	show := run(t, cmdEnv, "", env["XUI_SCRIPT_PATH"], "settings").expect(t, 0)
	want := map[string]string{"dbType": "mariadb", "dbName": db.Name, "nodeRole": "worker", "nodeId": "worker-9",
		"nodeAddress": "w9.example.com", "port": "2061", "hasDefaultCredential": "true"}
	for k, v := range want {
		if got := showValue(t, show.stdout, k); got != v {
			t.Fatalf("%s = %q, want %q\n%s", k, got, v, show.stdout)
		}
	}
	node := nodeGroup(t, env["XUI_DB_FOLDER"])
	if node["nodeRole"] != "worker" || node["nodeId"] != "worker-9" {
		t.Fatalf("x-ui.json node group: %v", node)
	}
}

// migrateAsMaster creates the shared schema as the master would: workers
// only check that it exists.
func migrateAsMaster(t *testing.T, cfg config.DBConfig) {
	t.Helper()
	conn, err := database.OpenMariaDB(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if sqlDB, err := conn.DB(); err == nil {
			sqlDB.Close()
		}
	}()
	if err := database.Migrate(conn); err != nil {
		t.Fatal(err)
	}
}
