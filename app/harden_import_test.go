package app

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
	"gorm.io/gorm"
)

// backupFile builds a SQLite backup with one admin user and the given
// inbounds; edit may change the file's schema or rows afterwards.
func backupFile(t *testing.T, inbounds []model.Inbound, edit func(conn *gorm.DB)) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.db")
	conn, err := database.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := database.Migrate(conn); err != nil {
		t.Fatal(err)
	}
	for i := range inbounds {
		if err := conn.Omit("ClientStats").Create(&inbounds[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(conn)
	}
	if sqlDB, err := conn.DB(); err == nil {
		sqlDB.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		sqlDB.Close()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func backupInbound(port int, stream string) model.Inbound {
	return model.Inbound{Remark: "imp", Enable: true, Listen: "127.0.0.1", Port: port, Protocol: model.VLESS,
		Settings:       mustJSON(map[string]any{"clients": []any{map[string]any{"id": newTestUUID(), "email": "imp@x", "enable": true}}, "decryption": "none"}),
		StreamSettings: stream, Tag: "inbound-imp-" + itoa(port), Sniffing: `{"enabled":false}`}
}

// TestImportDBChecksEverything is issue 10 finding 5: importDB used to skip
// every API check (a backup without the inbounds table deleted every
// inbound; port 70000, bad settings JSON, network "evil" were imported and
// left Xray in error). Now: schema check, every row through the same
// validators, the Xray pre-commit check, one transaction, and a dry run;
// a refusal leaves the database and Xray untouched.
func TestImportDBChecksEverything(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		s := newServingEnv(t, b)
		good := backupInbound(xraytest.FreePort(t), `{"network":"tcp","security":"none"}`)
		cases := []struct {
			name  string
			data  []byte
			field string
		}{
			{"no inbounds table", backupFile(t, []model.Inbound{good}, func(conn *gorm.DB) { conn.Exec("DROP TABLE inbounds") }), "inbounds"},
			{"port 70000", backupFile(t, []model.Inbound{backupInbound(70000, "")}, nil), "port"},
			{"bad settings JSON", backupFile(t, []model.Inbound{good}, func(conn *gorm.DB) {
				conn.Exec("UPDATE inbounds SET settings = '{nope'")
			}), "settings"},
			{"network evil", backupFile(t, []model.Inbound{backupInbound(xraytest.FreePort(t), `{"network":"evil"}`)}, nil), "streamSettings.network"},
			{"flow Xray refuses", backupFile(t, []model.Inbound{good}, func(conn *gorm.DB) {
				conn.Exec("UPDATE inbounds SET settings = REPLACE(settings, '\"enable\":true', '\"enable\":true,\"flow\":\"xtls-rprx-vision-udp443\"')")
			}), "flow"},
			{"tls Xray cannot load", backupFile(t, []model.Inbound{backupInbound(xraytest.FreePort(t),
				`{"network":"tcp","security":"tls","tlsSettings":{"certificates":[{"certificateFile":"/nonexistent","keyFile":"/nonexistent"}]}}`)}, nil), "streamSettings"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := s.dbState(t)
				s.env().t = t
				up := multipartBody(t, "db", tc.data)
				s.c.apiRaw("POST", "server/importDB", up.body, up.ctype).expectFail(400, tc.field)
				if s.dbState(t) != before {
					t.Fatal("refused import changed the database")
				}
				s.mustMoveBytes(t)
			})
		}
		s.env().t = t
		before := s.dbState(t)
		up := multipartBody(t, "db", backupFile(t, []model.Inbound{good}, nil))
		r := s.c.apiRaw("POST", "server/importDB?dryRun=true", up.body, up.ctype).expectOK()
		tables := r.obj()["tables"].(map[string]any)
		if in := tables["inbounds"].(map[string]any); in["before"] != float64(1) || in["after"] != float64(1) {
			t.Fatalf("dry-run report: %s", r.Raw)
		}
		if s.dbState(t) != before {
			t.Fatal("dry run changed the database")
		}
		s.mustMoveBytes(t)
	})
}
