// Package testdb opens test databases: Handle a private one (tests may run
// in parallel), Open the process-wide one the plan's functions use. It
// lives apart from dbtest because database's own tests use dbtest.
package testdb

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// Open makes a fresh database of backend b the global one (migrated and
// seeded) and returns the folder holding its x-ui.json.
func Open(t testing.TB, b dbtest.Backend) string {
	t.Helper()
	dir := dbtest.UseBackend(t, b)
	if err := database.InitDBWithPath(b.SQLitePath); err != nil {
		t.Fatalf("InitDBWithPath(%s): %v", b.Name, err)
	}
	t.Cleanup(func() { database.CloseDB() })
	CheapAdmin(t, database.GetDB())
	return dir
}

// Handle opens a fresh, migrated database of backend b as a handle of
// the test's own: no environment variable, no x-ui.json and no process
// handle, so a test using only it may call t.Parallel.
func Handle(t testing.TB, b dbtest.Backend) *database.Handle {
	t.Helper()
	conn, err := database.Open(b.Config, config.NodeRoleMaster, b.SQLitePath)
	if err != nil {
		t.Fatalf("open %s: %v", b.Name, err)
	}
	h := database.NewHandle(conn, nil)
	t.Cleanup(func() { h.Close() })
	CheapAdmin(t, conn)
	return h
}

// CheapAdmin stores the seeded admin/admin login as a MinCost bcrypt hash
// with a fresh salt (each test database's admin row differs, as a backup
// restore test needs). Tests log in hundreds of times and one check
// at the production cost (10) takes about a second under the race
// detector; only the work factor differs, the login code is the same.
// Passwords the tests set are still hashed at the production cost.
func CheapAdmin(t testing.TB, conn *gorm.DB) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("admin"), bcrypt.MinCost)
	if err == nil {
		err = conn.Model(&model.User{}).Where("username = ?", "admin").Update("password", string(hash)).Error
	}
	if err != nil {
		t.Fatalf("store the admin hash: %v", err)
	}
}

// SetNodeRole rewrites x-ui.json in dir with the given node role, keeping
// the database connection written by dbtest.UseBackend.
func SetNodeRole(t testing.TB, dir, role string) {
	t.Helper()
	path := filepath.Join(dir, "x-ui.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]any{}
	if err := json.Unmarshal(data, &settings); err != nil {
		t.Fatal(err)
	}
	settings["node"] = map[string]any{"nodeRole": role, "nodeId": "worker-1"}
	data, _ = json.Marshal(settings)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Dump returns every row of the tables the services write, as sorted
// strings, so a test can assert that a failed call changed nothing.
func Dump(t testing.TB) map[string][]string {
	t.Helper()
	return DumpOf(t, database.GetDB())
}

// DumpOf is Dump of the database conn.
func DumpOf(t testing.TB, conn *gorm.DB) map[string][]string {
	t.Helper()
	return dbtest.DumpTables(t, conn, "inbounds", "client_traffics", "settings",
		"shared_states", "outbound_traffics", "inbound_client_ips", "users")
}

// AssertUnchanged fails the test when a table Dump covers changed since before.
func AssertUnchanged(t testing.TB, before map[string][]string) {
	t.Helper()
	AssertUnchangedOf(t, database.GetDB(), before)
}

// AssertUnchangedOf is AssertUnchanged on the database conn.
func AssertUnchangedOf(t testing.TB, conn *gorm.DB, before map[string][]string) {
	t.Helper()
	after := DumpOf(t, conn)
	for table, rows := range before {
		if strings.Join(rows, "\n") != strings.Join(after[table], "\n") {
			t.Fatalf("table %s changed:\nbefore %v\nafter  %v", table, rows, after[table])
		}
	}
}

// Version is the shared accounts version of the global database.
func Version(t testing.TB) int64 {
	t.Helper()
	v, err := database.GetSharedAccountsVersion(nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Rows returns the client_traffics rows of inboundID (all when 0) by email.
func Rows(t testing.TB, inboundID int) map[string]model.ClientTraffic {
	t.Helper()
	return RowsOf(t, database.Process(), inboundID)
}

// Exec runs sql on the global database or fails the test.
func Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if err := database.GetDB().Exec(sql, args...).Error; err != nil {
		t.Fatal(err)
	}
}

// VersionOf is Version of the test's own handle h.
func VersionOf(t testing.TB, h *database.Handle) int64 {
	t.Helper()
	v, err := database.GetSharedAccountsVersion(h.Current())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// RowsOf is Rows of the test's own handle h.
func RowsOf(t testing.TB, h *database.Handle, inboundID int) map[string]model.ClientTraffic {
	t.Helper()
	var rows []model.ClientTraffic
	q := h.Current()
	if inboundID > 0 {
		q = q.Where("inbound_id = ?", inboundID)
	}
	if err := q.Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]model.ClientTraffic{}
	for _, r := range rows {
		out[r.Email] = r
	}
	return out
}

// ExecOn is Exec on the test's own handle h.
func ExecOn(t testing.TB, h *database.Handle, sql string, args ...any) {
	t.Helper()
	if err := h.Current().Exec(sql, args...).Error; err != nil {
		t.Fatal(err)
	}
}
