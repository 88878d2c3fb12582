package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runCLI(args, nil, &out, &errOut)
	return code, out.String(), errOut.String()
}

func tempFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XUI_DB_FOLDER", dir)
	return dir
}

func TestVersionFlag(t *testing.T) {
	code, out, _ := cli(t, "-v")
	if code != 0 || strings.TrimSpace(out) != config.GetVersion() {
		t.Fatalf("code %d out %q", code, out)
	}
}

func TestSettingRejectsBadInputWithoutWriting(t *testing.T) {
	dir := tempFolder(t)
	original := []byte(`{"panelNetwork":{"port":2053}}`)
	path := filepath.Join(dir, "x-ui.json")
	if err := os.WriteFile(path, original, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args  []string
		field string
	}{
		{[]string{"-dbType", "postgres"}, "dbType"},
		{[]string{"-port", "abc"}, "port"},
		{[]string{"-port", "70000"}, "port"},
		{[]string{"-dbType", "mariadb", "-dbPort", "0"}, "dbPort"},
		{[]string{"-nodeRole", "boss"}, "nodeRole"},
		{[]string{"-nodeRole", "worker", "-nodeId", "w1"}, "dbType"},
		{[]string{"-port", "2054", "-syncInterval", "-5"}, "syncInterval"},
		{[]string{"-webBasePath", "a b"}, "webBasePath"},
	}
	for _, c := range cases {
		code, _, errOut := cli(t, append([]string{"setting"}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.field) {
			t.Fatalf("%v: code %d, stderr %q should name %s", c.args, code, errOut, c.field)
		}
		after, _ := os.ReadFile(path)
		if !bytes.Equal(after, original) {
			t.Fatalf("%v changed x-ui.json to %s", c.args, after)
		}
	}
}

func TestSettingWritesGroupsAndShows(t *testing.T) {
	tempFolder(t)
	code, _, errOut := cli(t, "setting", "-port", "2099", "-webBasePath", "secret",
		"-nodeId", "m1", "-syncInterval", "7", "-trafficFlushInterval", "3")
	if code != 0 {
		t.Fatalf("setting failed: %s", errOut)
	}
	raw, err := config.LoadSettingsJSON()
	if err != nil {
		t.Fatal(err)
	}
	if raw["panelNetwork"].(map[string]any)["port"] != float64(2099) || raw["node"].(map[string]any)["syncInterval"] != float64(7) {
		t.Fatalf("unexpected x-ui.json %v", raw)
	}
	code, out, _ := cli(t, "setting", "-show", "true")
	for _, want := range []string{"hasDefaultCredential: true", "port: 2099", "webBasePath: /secret/", "nodeRole: master", "nodeId: m1", "syncInterval: 7", "trafficFlushInterval: 3"} {
		if code != 0 || !strings.Contains(out, want+"\n") {
			t.Fatalf("show output lacks %q:\n%s", want, out)
		}
	}
	code, _, errOut = cli(t, "setting", "-username", "root", "-password", "s3cret!!")
	if code != 0 {
		t.Fatal(errOut)
	}
	_, out, _ = cli(t, "setting", "-show", "true")
	if !strings.Contains(out, "hasDefaultCredential: false") {
		t.Fatalf("credential change not reflected:\n%s", out)
	}
}

func TestMigrateTwiceAndMariaDBDownError(t *testing.T) {
	dir := tempFolder(t)
	for i := 0; i < 2; i++ {
		if code, _, errOut := cli(t, "migrate"); code != 0 {
			t.Fatalf("migrate #%d: %s", i, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x-ui.db")); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := cli(t, "setting", "-dbType", "mariadb", "-dbHost", "127.0.0.1", "-dbPort", "1"); code != 0 {
		t.Fatal(errOut)
	}
	code, _, errOut := cli(t, "migrate")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code == 0 || len(lines) != 1 || !strings.Contains(lines[0], "127.0.0.1:1") {
		t.Fatalf("want one line naming 127.0.0.1:1, got code %d %q", code, errOut)
	}
}

func TestMigrateDBCommandRoundTrip(t *testing.T) {
	dir := tempFolder(t)
	maria := dbtest.NewMariaDB(t)
	if code, _, errOut := cli(t, "migrate"); code != 0 {
		t.Fatal(errOut)
	}
	conn, err := database.OpenSQLite(filepath.Join(dir, "x-ui.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Create(&model.Inbound{Port: 443, Tag: "inbound-443", Remark: "r"}).Error; err != nil {
		t.Fatal(err)
	}
	closeGorm(conn)

	t.Setenv("XUI_DB_PASSWORD", maria.Password)
	if code, _, errOut := cli(t, "setting", "-dbHost", maria.Host, "-dbPort", "3306", "-dbUser", maria.User, "-dbName", maria.Name); code != 0 {
		t.Fatal(errOut)
	}
	code, out, errOut := cli(t, "migrate-db", "-direction", "sqlite-to-mariadb")
	if code != 0 || !strings.Contains(out, "inbounds") || !strings.Contains(out, "Copy verified") {
		t.Fatalf("code %d out %s err %s", code, out, errOut)
	}
	os.Remove(filepath.Join(dir, "x-ui.db"))
	if code, out, errOut = cli(t, "migrate-db", "-direction", "mariadb-to-sqlite"); code != 0 {
		t.Fatalf("back: %s %s", out, errOut)
	}
	conn, err = database.OpenSQLite(filepath.Join(dir, "x-ui.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer closeGorm(conn)
	var inbound model.Inbound
	if err := conn.First(&inbound, "tag = ?", "inbound-443").Error; err != nil || inbound.Remark != "r" {
		t.Fatalf("round trip lost the inbound: %+v %v", inbound, err)
	}
	if code, _, errOut := cli(t, "migrate-db", "-direction", "sideways"); code == 0 || !strings.Contains(errOut, "direction") {
		t.Fatalf("bad direction accepted: %s", errOut)
	}
}

func TestSettingRefusesSharedChangesOnAWorker(t *testing.T) {
	dir := tempFolder(t)
	worker := `{"databaseConnection":{"dbType":"mariadb"},"node":{"nodeRole":"worker","nodeId":"w1"}}`
	if err := os.WriteFile(filepath.Join(dir, "x-ui.json"), []byte(worker), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-reset"}, {"-username", "x"}, {"-password", "secret12"}} {
		code, _, errOut := cli(t, append([]string{"setting"}, args...)...)
		if code == 0 || !strings.Contains(errOut, "master") {
			t.Fatalf("%v on a worker: code %d stderr %q", args, code, errOut)
		}
	}
}
