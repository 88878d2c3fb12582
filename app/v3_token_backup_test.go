package app

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// bearerStatus is the HTTP status of an inbound list with token.
func bearerStatus(env *testEnv, token string) int {
	bot := env.client()
	bot.bearer = token
	return bot.api("GET", "inbounds/list", nil).Code
}

// A disabled token stays disabled through a backup and its import (the
// column's default must not switch it back on), and a backup made before
// api_tokens took v3's columns (token_hash, no enabled) restores working
// tokens, from a SQLite file and from a JSON dump.
func TestV3APITokensSurviveBackup(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		on := c.api("POST", "setting/apiTokens/create", map[string]string{"name": "on"}).expectOK().obj()["token"].(string)
		offRes := c.api("POST", "setting/apiTokens/create", map[string]string{"name": "off"}).expectOK().obj()
		off := offRes["token"].(string)
		c.api("POST", "setting/apiTokens/setEnabled/"+itoa(int(offRes["id"].(float64))), map[string]bool{"enabled": false}).expectOK()
		backup := c.api("GET", "server/getDb", nil).Raw

		restore := func(data []byte) {
			t.Helper()
			admin := env.loggedIn()
			up := multipartBody(t, "db", data)
			admin.apiRaw("POST", "server/importDB", up.body, up.ctype).expectOK()
		}
		restore(backup)
		if got := bearerStatus(env, on); got != http.StatusOK {
			t.Fatalf("enabled token after import: HTTP %d", got)
		}
		if got := bearerStatus(env, off); got != http.StatusUnauthorized {
			t.Fatalf("disabled token after import: HTTP %d, want 401", got)
		}

		// The same backup as an older release wrote it.
		var legacy []byte
		if b.Name == dbtest.MariaDB {
			var dump map[string]any
			if err := json.Unmarshal(backup, &dump); err != nil {
				t.Fatal(err)
			}
			for _, row := range dump["tables"].(map[string]any)["api_tokens"].([]any) {
				r := row.(map[string]any)
				r["token_hash"] = r["token"]
				delete(r, "token")
				delete(r, "enabled")
			}
			var err error
			if legacy, err = json.Marshal(dump); err != nil {
				t.Fatal(err)
			}
		} else {
			path := filepath.Join(t.TempDir(), "old.db")
			if err := os.WriteFile(path, backup, 0o600); err != nil {
				t.Fatal(err)
			}
			conn, err := database.OpenSQLite(path)
			if err != nil {
				t.Fatal(err)
			}
			m := conn.Migrator()
			tok := &model.APIToken{}
			for _, step := range []error{
				m.DropIndex(tok, "idx_api_tokens_token"),
				m.RenameColumn(tok, "token", "token_hash"),
				m.DropColumn(tok, "enabled"),
			} {
				if step != nil {
					t.Fatal(step)
				}
			}
			sqlDB, _ := conn.DB()
			sqlDB.Close()
			if legacy, err = os.ReadFile(path); err != nil {
				t.Fatal(err)
			}
		}
		restore(legacy)
		// Both worked when that backup's release made them.
		for _, token := range []string{on, off} {
			if got := bearerStatus(env, token); got != http.StatusOK {
				t.Fatalf("token from a pre-v3-columns backup: HTTP %d", got)
			}
		}
	})
}
