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
		if code, _, errOut := cli(t, "setting", "-username", "root", "-password", "cli-secret-pw", "-port", "2113"); code != 0 {
			t.Fatal(errOut)
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
			"settings.reset x-ui setting -reset",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if rows[0].Changes != `[{"field":"username","before":"admin","after":"root"},{"field":"password","before":"***","after":"***"}]` {
			t.Fatalf("credential change: %s", rows[0].Changes)
		}
	})
}
