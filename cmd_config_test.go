package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

func cliIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runCLI(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func folderNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// A damaged x-ui.json used to read as empty: a MariaDB worker came up as a
// SQLite master with admin/admin, and `setting -show` created x-ui.db.
func TestMalformedSettingsFileStopsEveryCommand(t *testing.T) {
	damaged := map[string]struct {
		body string
		pos  string // line:column the error must name
	}{
		"trailing comma": {"{\n  \"databaseConnection\": {\"dbType\": \"mariadb\",},\n  \"node\": {\"nodeRole\": \"worker\", \"nodeId\": \"w1\"}\n}\n", ":2:"},
		"truncated":      {"{\"node\": {\"nodeRole\": \"worker\"", ":1:"},
		"not an object":  {"[1, 2]", ":1:"},
		"wrong type":     {"{\"panelNetwork\": {\"port\": \"two thousand\"}}", ""},
		"trailing data":  {"{}\n}", ":2:"},
	}
	commands := [][]string{
		{"run"},
		{"setting", "-show", "true"},
		{"setting", "-port", "9999"},
		{"setting", "-username", "root", "-password", "long-enough"},
		{"migrate"},
		{"migrate-db", "-direction", "sqlite-to-mariadb"},
	}
	for name, c := range damaged {
		t.Run(name, func(t *testing.T) {
			dir := tempFolder(t)
			t.Setenv("XUI_LOG_FOLDER", filepath.Join(t.TempDir(), "log"))
			path := filepath.Join(dir, "x-ui.json")
			if err := os.WriteFile(path, []byte(c.body), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, args := range commands {
				code, out, errOut := cli(t, args...)
				if code == 0 {
					t.Fatalf("%v accepted a damaged x-ui.json:\n%s%s", args, out, errOut)
				}
				if !strings.Contains(errOut, path+c.pos) {
					t.Fatalf("%v: error does not name %s%s: %q", args, path, c.pos, errOut)
				}
				if got, _ := os.ReadFile(path); string(got) != c.body {
					t.Fatalf("%v rewrote x-ui.json: %q", args, got)
				}
				if names := folderNames(t, dir); len(names) != 1 {
					t.Fatalf("%v wrote files next to x-ui.json: %v", args, names)
				}
			}
		})
	}
}

func TestUnreadableSettingsFileStops(t *testing.T) {
	dir := tempFolder(t)
	// A folder where the file should be: readable by nobody as a file,
	// whatever the user (root ignores permission bits).
	if err := os.Mkdir(filepath.Join(dir, "x-ui.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := cli(t, "setting", "-show", "true")
	if code == 0 || !strings.Contains(errOut, filepath.Join(dir, "x-ui.json")) {
		t.Fatalf("code %d stderr %q", code, errOut)
	}
	if names := folderNames(t, dir); len(names) != 1 {
		t.Fatalf("files written: %v", names)
	}
}

// `-show true -port 9999` used to exit 0 and drop -port.
func TestSettingShowTrueKeepsLaterFlags(t *testing.T) {
	tempFolder(t)
	code, out, errOut := cli(t, "setting", "-show", "true", "-port", "9999")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	if !strings.Contains(out, "port: 9999") {
		t.Fatalf("-port after -show true was dropped:\n%s", out)
	}
}

func TestSettingRefusesStrayArguments(t *testing.T) {
	dir := tempFolder(t)
	for _, args := range [][]string{
		{"-port", "9999", "extra"},
		{"-show", "yes", "-port", "9999"},
		{"stray"},
	} {
		code, _, errOut := cli(t, append([]string{"setting"}, args...)...)
		if code != 2 || !strings.Contains(errOut, "unexpected argument") {
			t.Fatalf("%v: code %d stderr %q", args, code, errOut)
		}
		if names := folderNames(t, dir); len(names) != 0 {
			t.Fatalf("%v wrote %v", args, names)
		}
	}
}

// Credentials (database) with network flags (x-ui.json): both or neither.
func TestSettingAppliesFileAndDatabaseTogether(t *testing.T) {
	dir := tempFolder(t)
	if code, _, errOut := cli(t, "migrate"); code != 0 {
		t.Fatal(errOut)
	}
	// The database the change targets is unreachable: x-ui.json must stay.
	before, _ := os.ReadFile(filepath.Join(dir, "x-ui.json"))
	code, _, errOut := cli(t, "setting", "-port", "2111", "-dbType", "mariadb", "-dbHost", "127.0.0.1", "-dbPort", "1",
		"-username", "root", "-password", "long-enough")
	if code == 0 {
		t.Fatal("change with an unreachable database succeeded")
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "x-ui.json")); !bytes.Equal(before, after) {
		t.Fatalf("x-ui.json changed although the database half failed (%s):\n%s", errOut, after)
	}
	// Both succeed together.
	code, _, errOut = cli(t, "setting", "-port", "2112", "-username", "root", "-password", "long-enough")
	if code != 0 {
		t.Fatal(errOut)
	}
	code, out, _ := cli(t, "setting", "-show", "-json")
	var view settingsView
	if code != 0 || json.Unmarshal([]byte(out), &view) != nil {
		t.Fatalf("-json output: %q", out)
	}
	if view.Port != 2112 || view.HasDefaultCredential != "false" {
		t.Fatalf("after the change: %+v", view)
	}
}

func TestSettingPasswordFromStdin(t *testing.T) {
	dir := tempFolder(t)
	code, _, errOut := cliIn(t, "from-stdin-pw\n", "setting", "-username", "root", "-password", "-")
	if code != 0 {
		t.Fatal(errOut)
	}
	conn, err := database.OpenSQLite(filepath.Join(dir, "x-ui.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer closeGorm(conn)
	var user model.User
	if err := conn.First(&user).Error; err != nil {
		t.Fatal(err)
	}
	if user.Username != "root" || !database.CheckPassword(user.Password, "from-stdin-pw") {
		t.Fatalf("stdin password not applied: %+v", user)
	}
	if code, _, errOut := cliIn(t, "", "setting", "-password", "-"); code != 2 || !strings.Contains(errOut, "password") {
		t.Fatalf("empty stdin: code %d %q", code, errOut)
	}
}

// -reset changes shared settings, so workers must see a new version.
func TestSettingResetBumpsSharedVersion(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		dir := dbtest.UseBackend(t, b)
		if code, _, errOut := cli(t, "migrate"); code != 0 {
			t.Fatal(errOut)
		}
		conn, err := database.Open(b.Config, "master", filepath.Join(dir, "x-ui.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer database.Close(conn)
		if err := conn.Create(&model.Setting{Key: "subPort", Value: "2100"}).Error; err != nil {
			t.Fatal(err)
		}
		v0, _ := database.GetSharedAccountsVersion(conn)
		if code, _, errOut := cli(t, "setting", "-reset"); code != 0 {
			t.Fatal(errOut)
		}
		v1, _ := database.GetSharedAccountsVersion(conn)
		var n int64
		conn.Model(&model.Setting{}).Count(&n)
		if v1 != v0+1 || n != 0 {
			t.Fatalf("reset: version %d -> %d, %d settings left", v0, v1, n)
		}
	})
}

// -webDomain sets the host names the panel answers to (the DNS-rebinding
// allow-list); a bad name is refused naming the flag and writes nothing;
// -reset clears it, so an admin locked out by a wrong name gets back in.
func TestSettingWebDomain(t *testing.T) {
	dir := tempFolder(t)
	if code, _, errOut := cli(t, "setting", "-webDomain", "bad_name!"); code == 0 || !strings.Contains(errOut, "webDomain") {
		t.Fatalf("bad webDomain: code %d stderr %q", code, errOut)
	}
	if names := folderNames(t, dir); len(names) != 0 {
		t.Fatalf("a refused -webDomain wrote %v", names)
	}
	if code, _, errOut := cli(t, "setting", "-webDomain", " Panel.Example.COM., *.cdn.example "); code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Panel.WebDomain != "panel.example.com,*.cdn.example" {
		t.Fatalf("webDomain stored as %q", cfg.Panel.WebDomain)
	}
	if _, out, _ := cli(t, "setting", "-show", "true"); !strings.Contains(out, "webDomain: panel.example.com,*.cdn.example") {
		t.Fatalf("-show lacks webDomain:\n%s", out)
	}
	if code, _, errOut := cli(t, "setting", "-reset"); code != 0 {
		t.Fatalf("reset: code %d: %s", code, errOut)
	}
	if cfg, err := config.Load(); err != nil || cfg.Panel.WebDomain != "" {
		t.Fatalf("after -reset webDomain is %q (%v)", cfg.Panel.WebDomain, err)
	}
}
