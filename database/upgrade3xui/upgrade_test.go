package upgrade3xui

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

// fixturePath is the real 3x-ui v2.9.4 database, committed under testdata
// (read-only; tests copy it). XUI_TEST_3XUI_FIXTURE points at another one.
func fixturePath(t testing.TB) string {
	t.Helper()
	path := os.Getenv("XUI_TEST_3XUI_FIXTURE")
	if path == "" {
		_, file, _, _ := runtime.Caller(0)
		path = filepath.Join(filepath.Dir(file), "testdata", "3x-ui-v2.9.4.db")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("3x-ui v2.9.4 fixture: %v", err)
	}
	return path
}

// copyFixture puts the fixture into a fresh XUI_DB_FOLDER and returns its path.
func copyFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XUI_DB_FOLDER", dir)
	data, err := os.ReadFile(fixturePath(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x-ui.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var upstreamDump = []string{"users", "inbounds", "outbound_traffics", "settings",
	"inbound_client_ips", "client_traffics", "history_of_seeders", "custom_geo_resources"}

func dump(t *testing.T, path string, tables ...string) map[string][]string {
	t.Helper()
	conn, err := openReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(conn)
	return dbtest.DumpTables(t, conn, tables...)
}

func readOrNil(path string) []byte {
	data, _ := os.ReadFile(path)
	return data
}

func TestDryRunChangesNothing(t *testing.T) {
	path := copyFixture(t)
	orig := readOrNil(path)
	r, err := Run(Options{DBPath: path, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, readOrNil(path)) {
		t.Fatal("dry run changed the database file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("dry run wrote files: %v", entries)
	}
	text := r.Text()
	for _, want := range []string{"dry run", "x-ui.json port = 39001", "inbounds               4 rows",
		"client_traffics        7 rows", "tg* (10 keys)", "custom_geo_resources (0 rows)"} {
		if !strings.Contains(text, want) {
			t.Fatalf("dry-run report lacks %q:\n%s", want, text)
		}
	}
}

func TestUpgradeKeepsRowsAndIsIdempotent(t *testing.T) {
	path := copyFixture(t)
	orig := readOrNil(path)
	before := dump(t, path, upstreamDump...)
	pending, err := Pending(path)
	if err != nil || !pending {
		t.Fatalf("fixture not detected as a pending 3x-ui database: %v %v", pending, err)
	}
	r, err := Run(Options{DBPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Changed {
		t.Fatal("first run reports no change")
	}
	if !bytes.Equal(orig, readOrNil(path+BackupSuffix)) {
		t.Fatal("backup differs from the original file")
	}
	if pending, _ := Pending(path); pending {
		t.Fatal("still pending after the upgrade")
	}
	// Every upstream row is still there with the same values (new columns
	// aside): compare the upstream columns only.
	after := dump(t, path, upstreamDump...)
	for table, rows := range before {
		if len(after[table]) != len(rows) {
			t.Fatalf("%s: %d rows before, %d after", table, len(rows), len(after[table]))
		}
		for i, row := range rows {
			for _, cell := range strings.Split(strings.TrimSuffix(row, ";"), ";") {
				if !strings.Contains(after[table][i]+";", cell+";") {
					t.Fatalf("%s row %d lost %q:\n%s", table, i, cell, after[table][i])
				}
			}
		}
	}
	cfg := readOrNil(filepath.Join(filepath.Dir(path), "x-ui.json"))
	for _, want := range []string{`"port": 39001`, `"webBasePath": "/"`, `"sessionMaxAge": 360`, `"secret": "Gpxf8eIfEAv8wBmm0FABFah0xXRstb2l"`} {
		if !strings.Contains(string(cfg), want) {
			t.Fatalf("x-ui.json lacks %s:\n%s", want, cfg)
		}
	}
	if st, err := os.Stat(filepath.Join(filepath.Dir(path), "x-ui.json")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("x-ui.json mode: %v %v", st, err)
	}
	report := readOrNil(r.File)
	if !strings.Contains(string(report), "the original is kept at "+path+BackupSuffix) {
		t.Fatalf("report file:\n%s", report)
	}

	// The second run changes nothing: database, x-ui.json, backup, report.
	all := append(append([]string{}, upstreamDump...), "shared_states", "node_states", "api_tokens")
	dbBefore := dump(t, path, all...)
	reportBefore := readOrNil(r.File)
	r2, err := Run(Options{DBPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Changed || !strings.Contains(r2.Text(), "already upgraded") {
		t.Fatalf("second run claims changes:\n%s", r2.Text())
	}
	if d := dump(t, path, all...); !equalDumps(dbBefore, d) {
		t.Fatalf("second run changed the database")
	}
	if !bytes.Equal(cfg, readOrNil(filepath.Join(filepath.Dir(path), "x-ui.json"))) {
		t.Fatal("second run rewrote x-ui.json")
	}
	if !bytes.Equal(reportBefore, readOrNil(r.File)) || !bytes.Equal(orig, readOrNil(path+BackupSuffix)) {
		t.Fatal("second run rewrote the report or the backup")
	}
	// And the database opens as this panel's.
	t.Setenv("XUI_DB_FOLDER", filepath.Dir(path))
	if err := database.InitDBWithPath(path); err != nil {
		t.Fatal(err)
	}
	defer database.CloseDB()
	if isDefault, err := database.HasDefaultCredential(database.GetDB()); err != nil || isDefault {
		t.Fatalf("owner login replaced by the default admin: %v %v", isDefault, err)
	}
}

func equalDumps(a, b map[string][]string) bool {
	for k, rows := range a {
		if strings.Join(rows, "\n") != strings.Join(b[k], "\n") {
			return false
		}
	}
	return len(a) == len(b)
}

func TestExistingXUIJSONWinsAndTwoFactorConverts(t *testing.T) {
	path := copyFixture(t)
	dir := filepath.Dir(path)
	// An admin who already chose a port here keeps it.
	if err := os.WriteFile(filepath.Join(dir, "x-ui.json"), []byte(`{"panelNetwork":{"port":40001}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	setUpstreamSettings(t, path, map[string]string{"twoFactorEnable": "true", "twoFactorToken": "JBSWY3DPEHPK3PXP"})
	r, err := Run(Options{DBPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text(), "x-ui.json already sets port; kept it (upstream had 39001)") {
		t.Fatalf("report:\n%s", r.Text())
	}
	if !strings.Contains(string(readOrNil(filepath.Join(dir, "x-ui.json"))), `"port": 40001`) {
		t.Fatal("the existing port was overwritten")
	}
	ro, err := openReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(ro)
	var u model.User
	if err := ro.Order("id").First(&u).Error; err != nil || u.TwoFactorSecret != "JBSWY3DPEHPK3PXP" || u.Username != "owner" {
		t.Fatalf("two-factor not converted: %+v %v", u, err)
	}
	if r2, err := Run(Options{DBPath: path}); err != nil || r2.Changed {
		t.Fatalf("second run: %v changed=%v", err, r2 != nil && r2.Changed)
	}
}

func TestBrokenTwoFactorTokenIsNotStored(t *testing.T) {
	path := copyFixture(t)
	setUpstreamSettings(t, path, map[string]string{"twoFactorEnable": "true", "twoFactorToken": "not base32!"})
	r, err := Run(Options{DBPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text(), "not a base32 TOTP secret") {
		t.Fatalf("report:\n%s", r.Text())
	}
	ro, err := openReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(ro)
	var u model.User
	if err := ro.Order("id").First(&u).Error; err != nil || u.TwoFactorSecret != "" {
		t.Fatalf("a broken secret was stored: %+v %v", u, err)
	}
}

func TestNot3xUIIsRefused(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XUI_DB_FOLDER", dir)
	path := filepath.Join(dir, "x-ui.db")
	conn, err := database.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := database.Migrate(conn); err != nil {
		t.Fatal(err)
	}
	closeDB(conn)
	if pending, err := Pending(path); err != nil || pending {
		t.Fatalf("a fresh x-ui database is pending: %v %v", pending, err)
	}
	if _, err := Run(Options{DBPath: path}); err == nil || !strings.Contains(err.Error(), ErrNot3xUI.Error()) {
		t.Fatalf("want ErrNot3xUI, got %v", err)
	}
}

// setUpstreamSettings changes rows of the 3x-ui settings table in place.
func setUpstreamSettings(t *testing.T, path string, values map[string]string) {
	t.Helper()
	conn, err := gorm.Open(sqlite.Open(path), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(conn)
	for key, value := range values {
		if err := conn.Exec("UPDATE settings SET value = ? WHERE `key` = ?", value, key).Error; err != nil {
			t.Fatal(err)
		}
	}
}
