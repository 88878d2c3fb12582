// Package dbtest gives tests a fresh database on each backend: a SQLite file
// in a temp folder, and a newly created MariaDB database dropped afterwards.
//
// MariaDB is reached over TCP with XUI_TEST_MARIADB_HOST/PORT/USER/PASSWORD
// (defaults 127.0.0.1, 3306, xui_test, xui_test). An unreachable server fails
// the test unless XUI_TEST_SKIP_MARIADB=1 is set.
package dbtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/mhsanaei/3x-ui/v2/config"
)

// Backend is one database a test runs against.
type Backend struct {
	Name string
	// Config is what x-ui.json would say for this backend.
	Config config.DBConfig
	// SQLitePath is the file used when Config.Type is sqlite.
	SQLitePath string
}

// Names of the two backends.
const (
	SQLite  = "sqlite"
	MariaDB = "mariadb"
)

// ForEach runs fn once per backend as subtests, each with a fresh database.
func ForEach(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	for _, name := range []string{SQLite, MariaDB} {
		t.Run(name, func(t *testing.T) {
			fn(t, New(t, name))
		})
	}
}

// New creates a fresh database of the named backend for this test.
func New(t testing.TB, name string) Backend {
	t.Helper()
	switch name {
	case SQLite:
		return Backend{
			Name:       SQLite,
			Config:     config.DBConfig{Type: config.DBTypeSQLite, Host: "127.0.0.1", Port: 3306, Name: "3xui"},
			SQLitePath: filepath.Join(t.TempDir(), "x-ui.db"),
		}
	case MariaDB:
		return Backend{Name: MariaDB, Config: NewMariaDB(t)}
	}
	t.Fatalf("dbtest: unknown backend %q", name)
	return Backend{}
}

// MariaDBServer is the test server's connection config without a database.
func MariaDBServer() config.DBConfig {
	port, err := strconv.Atoi(envOr("XUI_TEST_MARIADB_PORT", "3306"))
	if err != nil {
		port = 3306
	}
	return config.DBConfig{
		Type:     config.DBTypeMariaDB,
		Host:     envOr("XUI_TEST_MARIADB_HOST", "127.0.0.1"),
		Port:     port,
		User:     envOr("XUI_TEST_MARIADB_USER", "xui_test"),
		Password: envOr("XUI_TEST_MARIADB_PASSWORD", "xui_test"),
	}
}

// NewMariaDB creates a uniquely named database and drops it when t ends.
func NewMariaDB(t testing.TB) config.DBConfig {
	t.Helper()
	if os.Getenv("XUI_TEST_SKIP_MARIADB") == "1" {
		t.Skip("MariaDB tests disabled by XUI_TEST_SKIP_MARIADB=1")
	}
	cfg := MariaDBServer()
	cfg.Name = "xui_t_" + randomHex(6)
	admin := openServer(t, cfg)
	if _, err := admin.Exec("CREATE DATABASE `" + cfg.Name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		admin.Close()
		t.Fatalf("dbtest: create MariaDB database %s: %v", cfg.Name, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS `" + cfg.Name + "`"); err != nil {
			t.Errorf("dbtest: drop %s: %v", cfg.Name, err)
		}
	})
	return cfg
}

func openServer(t testing.TB, cfg config.DBConfig) *sql.DB {
	t.Helper()
	c := mysqldriver.NewConfig()
	c.User, c.Passwd, c.Net = cfg.User, cfg.Password, "tcp"
	c.Addr = cfg.Host + ":" + strconv.Itoa(cfg.Port)
	admin, err := sql.Open("mysql", c.FormatDSN())
	if err == nil {
		err = admin.Ping()
	}
	if err != nil {
		t.Fatalf("dbtest: MariaDB test server at %s unreachable (set XUI_TEST_SKIP_MARIADB=1 to skip MariaDB tests): %v", c.Addr, err)
	}
	return admin
}

// UseBackend points XUI_DB_FOLDER at a temp folder whose x-ui.json selects b,
// so database.InitDB() (or InitDBWithPath(b.SQLitePath)) opens it.
func UseBackend(t testing.TB, b Backend) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XUI_DB_FOLDER", dir)
	t.Setenv("XUI_DB_PASSWORD", b.Config.Password)
	settings := map[string]any{"databaseConnection": map[string]any{
		"dbType": b.Config.Type, "dbHost": b.Config.Host, "dbPort": b.Config.Port,
		"dbUser": b.Config.User, "dbName": b.Config.Name,
	}}
	data, _ := json.Marshal(settings)
	if err := os.WriteFile(filepath.Join(dir, "x-ui.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
