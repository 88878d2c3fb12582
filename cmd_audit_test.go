package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// The CLI's database writes are audited in their own transaction as the
// OS user's, with the flags named but no value (a password stays out),
// once each; a refused run writes no row.
func TestSettingWritesAreAudited(t *testing.T) {
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
		// A first admin demoted by another owner (who may since have
		// left): the command makes it an owner again, and says so.
		if err := conn.Model(&model.User{}).Where("id = ?", 1).Update("role", "viewer").Error; err != nil {
			t.Fatal(err)
		}
		if code, _, errOut := cli(t, "setting", "-username", "root", "-password", "cli-secret-pw", "-port", "2113"); code != 0 {
			t.Fatal(errOut)
		}
		var first model.User
		if err := conn.First(&first, 1).Error; err != nil || first.Role != "owner" || first.Username != "root" {
			t.Fatalf("after setting -username -password: %+v %v", first, err)
		}
		if code, _, errOut := cli(t, "setting", "-username", "boss"); code != 0 {
			t.Fatal(errOut)
		}
		// x-ui.json alone, as the API's panel-only saves.
		if code, _, errOut := cli(t, "setting", "-port", "2114"); code != 0 || errOut != "" {
			t.Fatalf("setting -port: %d %q", code, errOut)
		}
		if code, _, _ := cli(t, "setting", "-password", "short"); code == 0 {
			t.Fatal("a too short password was accepted")
		}
		if code, _, errOut := cli(t, "setting", "-reset"); code != 0 {
			t.Fatal(errOut)
		}
		var rows []model.AuditLog
		if err := conn.Order("id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.Action+" "+r.Route)
			if r.ActorKind != "cli" || r.ActorID == "" {
				t.Errorf("row %d actor %q %q, want cli and the OS user", r.Id, r.ActorKind, r.ActorID)
			}
			if strings.Contains(r.Changes, "cli-secret-pw") || strings.Contains(r.Route, "cli-secret-pw") {
				t.Errorf("row %d carries the password: %+v", r.Id, r)
			}
		}
		want := []string{
			"user.update x-ui setting -password -port -username",
			"panel.update x-ui setting -password -port -username",
			"user.update x-ui setting -username",
			"panel.update x-ui setting -port",
			"settings.reset x-ui setting -reset",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if rows[0].Changes != `[{"field":"username","before":"admin","after":"root"},{"field":"role","before":"viewer","after":"owner"},{"field":"password","before":"***","after":"***"}]` {
			t.Fatalf("credential change: %s", rows[0].Changes)
		}
		// A new name alone changes neither the role nor the password.
		if rows[2].Changes != `[{"field":"username","before":"root","after":"boss"}]` {
			t.Fatalf("username change: %s", rows[2].Changes)
		}
		if rows[3].Changes != `[{"field":"port","after":2114}]` {
			t.Fatalf("port change: %s", rows[3].Changes)
		}
	})
}

// An x-ui.json change the log cannot take still applies, and says so: on a
// node without a database yet (none is created for it), and when the
// database connection itself changes (the old one may be gone).
func TestSettingFileOnlyWithoutTheLog(t *testing.T) {
	dir := tempFolder(t)
	code, _, errOut := cli(t, "setting", "-port", "2115")
	if code != 0 || !strings.Contains(errOut, "not recorded in the audit log: no database yet") {
		t.Fatalf("setting -port without a database: %d %q", code, errOut)
	}
	if names := folderNames(t, dir); strings.Contains(strings.Join(names, ","), "x-ui.db") {
		t.Fatalf("setting -port created the database: %v", names)
	}
	if code, _, errOut := cli(t, "migrate"); code != 0 {
		t.Fatal(errOut)
	}
	code, _, errOut = cli(t, "setting", "-dbType", "mariadb", "-dbHost", "127.0.0.1", "-dbPort", "1")
	if code != 0 || !strings.Contains(errOut, "database connection") {
		t.Fatalf("setting -dbType mariadb with an unreachable server: %d %q", code, errOut)
	}
}
