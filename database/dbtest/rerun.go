package dbtest

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// rerunEnv marks a child run started by RerunOnMariaDB.
const rerunEnv = "XUI_TEST_RERUN_MARIADB"

// RerunOnMariaDB runs each named test of the current package again, in a
// child process of this test binary, with the XUI_DB_* overrides pointing
// at a fresh MariaDB database. It is for tests that must stay unchanged
// (the user's plan) and only know SQLite paths. Each run must pass and
// must have created its schema in MariaDB.
func RerunOnMariaDB(t *testing.T, names ...string) {
	t.Helper()
	if os.Getenv(rerunEnv) == "1" {
		t.Skip("already a MariaDB rerun")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			cfg := NewMariaDB(t)
			cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1")
			cmd.Env = append(os.Environ(), rerunEnv+"=1",
				"XUI_DB_TYPE=mariadb", "XUI_DB_HOST="+cfg.Host, "XUI_DB_PORT="+strconv.Itoa(cfg.Port),
				"XUI_DB_USER="+cfg.User, "XUI_DB_PASSWORD="+cfg.Password, "XUI_DB_NAME="+cfg.Name)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s on MariaDB: %v\n%s", name, err, out)
			}
			admin := openServer(t, cfg)
			defer admin.Close()
			var tables int
			if err := admin.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ?", cfg.Name).Scan(&tables); err != nil {
				t.Fatal(err)
			}
			if tables == 0 {
				t.Fatalf("%s did not create its schema in MariaDB %s (did it run?)\n%s", name, cfg.Name, out)
			}
		})
	}
}
