package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/upgrade3xui"
)

func copy3xUIFixture(t *testing.T) string {
	t.Helper()
	dir := tempFolder(t)
	data, err := os.ReadFile(filepath.Join("database", "upgrade3xui", "testdata", "3x-ui-v2.9.4.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x-ui.db"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A plain `x-ui migrate` (as an admin used to run) upgrades a 3x-ui file
// first, so the backup holds the untouched original.
func TestPlainMigrateUpgrades3xUI(t *testing.T) {
	dir := copy3xUIFixture(t)
	orig, _ := os.ReadFile(filepath.Join(dir, "x-ui.db"))
	code, out, errOut := cli(t, "migrate")
	if code != 0 || !strings.Contains(out, "3x-ui upgrade report") || !strings.Contains(out, "Migration done") {
		t.Fatalf("code %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	backup, _ := os.ReadFile(filepath.Join(dir, "x-ui.db"+upgrade3xui.BackupSuffix))
	if string(backup) != string(orig) {
		t.Fatal("backup is not the original file")
	}
	code, out, _ = cli(t, "migrate")
	if code != 0 || strings.Contains(out, "upgrade report") {
		t.Fatalf("second plain migrate upgraded again: %d %s", code, out)
	}
}

func TestMigrateFlagsChecked(t *testing.T) {
	dir := tempFolder(t)
	if code, _, errOut := cli(t, "migrate", "-dry-run"); code != 2 || !strings.Contains(errOut, "dry-run") {
		t.Fatalf("-dry-run alone: %d %s", code, errOut)
	}
	// A fresh database of this panel is not a 3x-ui one.
	if code, _, errOut := cli(t, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	code, _, errOut := cli(t, "migrate", "-from-3x-ui")
	if code != 1 || !strings.Contains(errOut, "not a 3x-ui v2 database") {
		t.Fatalf("-from-3x-ui on a fresh x-ui database: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "x-ui.db"+upgrade3xui.BackupSuffix)); !os.IsNotExist(err) {
		t.Fatalf("a backup was made of a non-3x-ui database: %v", err)
	}
}
