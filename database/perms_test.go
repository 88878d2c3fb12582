package database

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// TestSQLiteFilesArePrivate is issue 10 finding 7: x-ui.db, -wal and -shm
// hold the password hash, client keys, token hashes and the 2FA secret, so
// they are 0600 and a folder the panel creates is 0700; an existing 0644
// file is narrowed on open. (MariaDB keeps its own files.)
func TestSQLiteFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etc-x-ui")
	path := filepath.Join(dir, "x-ui.db")
	conn, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Migrate(conn); err != nil {
		t.Fatal(err)
	}
	if err := conn.Create(&model.Setting{Key: "perm-test", Value: "x"}).Error; err != nil {
		t.Fatal(err)
	}
	check := func(p string, want os.FileMode) {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s is %o, want %o", filepath.Base(p), got, want)
		}
	}
	check(dir, 0o700)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		check(p, 0o600)
	}
	sqlDB, _ := conn.DB()
	sqlDB.Close()

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	conn, err = OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { d, _ := conn.DB(); d.Close() }()
	check(path, 0o600)
}
