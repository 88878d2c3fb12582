package app

import (
	"bytes"
	"compress/gzip"
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/web/session"
)

func TestServerRoutes(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()

		st := c.api("GET", "server/status", nil).expectOK().obj()
		if st["mem"].(map[string]any)["total"].(float64) <= 0 || st["logicalPro"].(float64) < 1 {
			t.Fatalf("status lacks host numbers: %v", st)
		}
		xr := st["xray"].(map[string]any)
		if xr["state"] != "stop" || !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(xr["version"].(string)) {
			t.Fatalf("xray status: %v", xr)
		}

		pair := c.api("POST", "server/getNewX25519Cert", nil).expectOK().obj()
		priv, err := base64.RawURLEncoding.DecodeString(pair["privateKey"].(string))
		if err != nil || len(priv) != 32 {
			t.Fatalf("private key: %v %v", pair, err)
		}
		key, err := ecdh.X25519().NewPrivateKey(priv)
		if err != nil || base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()) != pair["publicKey"] {
			t.Fatalf("public key does not match the private key: %v", pair)
		}
		uuid := c.api("GET", "server/getNewUUID", nil).expectOK().obj()["uuid"].(string)
		if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(uuid) {
			t.Fatalf("uuid %q", uuid)
		}
		if r := c.api("GET", "server/logs/20", nil).expectOK(); r.Msg.Obj == nil {
			t.Fatalf("logs: %s", r.Raw)
		}
		c.api("GET", "server/logs/0", nil).expectFail(400, "count")
		c.api("GET", "server/logs/many", nil).expectFail(400, "count")

		c.api("POST", "inbounds/add", vlessInbound(hostPort(34001), vlessClient("cfg@x"))).expectOK()
		cfg := c.api("GET", "server/getConfigJson", nil).expectOK()
		if !strings.Contains(string(cfg.Raw), "cfg@x") || !strings.Contains(string(cfg.Raw), `"outbounds"`) {
			t.Fatalf("config json: %s", cfg.Raw)
		}
	})
}

// TestBackupRoundTrip downloads a backup, changes the data, imports the
// backup and gets the old data back; a bad upload changes nothing.
func TestBackupRoundTrip(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		c.api("POST", "inbounds/add", vlessInbound(hostPort(35001), vlessClient("keep@x"))).expectOK()
		c.api("POST", "setting/update", map[string]any{"subTitle": "before"}).expectOK()
		env.db.Current().Exec("UPDATE client_traffics SET up = 123456789012 WHERE email = 'keep@x'")
		userBefore := firstUser(t, env)

		dl := c.api("GET", "server/getDb", nil)
		if dl.Code != 200 || !strings.Contains(dl.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("getDb: %d %v", dl.Code, dl.Header)
		}
		backup := dl.Raw
		if b.Name == dbtest.SQLite && !bytes.HasPrefix(backup, []byte("SQLite format 3\x00")) {
			t.Fatal("SQLite backup is not a SQLite file")
		}
		if b.Name == dbtest.MariaDB {
			var dump map[string]any
			if err := json.Unmarshal(backup, &dump); err != nil || dump["format"] != "x-ui-backup" {
				t.Fatalf("MariaDB backup is not a JSON dump: %v %.200s", err, backup)
			}
		}

		// Change everything, then restore.
		c.api("POST", "inbounds/add", vlessInbound(hostPort(35002), vlessClient("new@x"))).expectOK()
		c.api("POST", "inbounds/del/1", nil).expectOK()
		c.api("POST", "setting/update", map[string]any{"subTitle": "after"}).expectOK()
		ver0, _ := database.GetSharedAccountsVersion(env.db.Current())

		before := env.dbState(t)
		bad := multipartBody(t, "db", []byte("this is not a database"))
		c.apiRaw("POST", "server/importDB", bad.body, bad.ctype).expectFail(400, "db")
		badJSON := multipartBody(t, "db", []byte(`{"format":"something-else"}`))
		c.apiRaw("POST", "server/importDB", badJSON.body, badJSON.ctype).expectFail(400, "format")
		c.apiRaw("POST", "server/importDB", strings.NewReader(""), "multipart/form-data; boundary=x").expectFail(400, "db")
		if env.dbState(t) != before {
			t.Fatal("a rejected import changed the database")
		}

		up := multipartBody(t, "db", backup)
		c.apiRaw("POST", "server/importDB", up.body, up.ctype).expectOK()
		list := c.api("GET", "inbounds/list", nil).expectOK()
		if !strings.Contains(string(list.Raw), "keep@x") || strings.Contains(string(list.Raw), "new@x") {
			t.Fatalf("after import: %s", list.Raw)
		}
		if !strings.Contains(string(list.Raw), "123456789012") {
			t.Fatal("64-bit traffic counter lost in the backup")
		}
		if s := c.api("GET", "setting/all", nil).expectOK(); s.obj()["subTitle"] != "before" {
			t.Fatalf("setting after import: %v", s.obj()["subTitle"])
		}
		if u := firstUser(t, env); u.Password != userBefore.Password {
			t.Fatal("password hash not restored")
		}
		if ver1, _ := database.GetSharedAccountsVersion(env.db.Current()); ver1 <= ver0 {
			t.Fatalf("import must bump the shared version: %d -> %d", ver0, ver1)
		}
		// The restored data is usable: the next inbound gets a fresh id.
		c.api("POST", "inbounds/add", vlessInbound(hostPort(35003), vlessClient("after@x"))).expectOK()
	})
}

func firstUser(t *testing.T, env *testEnv) model.User {
	var u model.User
	if err := env.db.Current().Order("id").First(&u).Error; err != nil {
		t.Fatal(err)
	}
	return u
}

type upload struct {
	body  io.Reader
	ctype string
}

func multipartBody(t *testing.T, field string, data []byte) upload {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile(field, "backup")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	return upload{body: &buf, ctype: w.FormDataContentType()}
}

// apiRaw sends a raw body with a content type.
func (c *client) apiRaw(method, path string, body io.Reader, ctype string) *resp {
	c.env.t.Helper()
	req := httptest.NewRequest(method, testBase+"panel/api/"+path, body)
	req.RemoteAddr = c.remote
	req.Header.Set("Content-Type", ctype)
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	req.Header.Set(session.CSRFHeader, c.csrf)
	rec := httptest.NewRecorder()
	c.env.h.ServeHTTP(rec, req)
	out := &resp{Code: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes(), t: c.env.t}
	json.Unmarshal(out.Raw, &out.Msg)
	return out
}

func TestSettingRoutes(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		all := c.api("GET", "setting/all", nil).expectOK().obj()
		if all["subPort"] != float64(2096) {
			t.Fatalf("settings: %v", all)
		}
		before := env.dbState(t)
		c.api("POST", "setting/update", map[string]any{"noSuchKey": 1}).expectFail(400, "noSuchKey")
		c.api("POST", "setting/update", map[string]any{"subPort": "x"}).expectFail(400, "subPort")
		c.api("POST", "setting/update", `{"subPort":`).expectFail(400, "malformed JSON")
		c.api("POST", "setting/update", map[string]any{"xrayTemplateConfig": `{"inbounds": "x"}`}).expectFail(400, "xrayTemplateConfig")
		if env.dbState(t) != before {
			t.Fatal("rejected settings changed the database")
		}
		c.api("POST", "setting/update", map[string]any{"subPort": 2097, "subEnable": true}).expectOK()

		// The template is checked by Xray itself.
		tpl := c.api("GET", "setting/getXrayTemplate", nil).expectOK().obj()
		if _, ok := tpl["outbounds"]; !ok {
			t.Fatalf("template: %v", tpl)
		}
		before = env.dbState(t)
		c.api("POST", "setting/updateXrayTemplate", map[string]any{"xraySetting": "{not json"}).expectFail(400, "xraySetting")
		badOut := cloneJSON(t, tpl)
		badOut["outbounds"] = []any{map[string]any{"tag": "x", "protocol": "no-such-protocol"}}
		c.api("POST", "setting/updateXrayTemplate", map[string]any{"xraySetting": badOut}).expectFail(400, "xraySetting")
		c.api("POST", "setting/updateXrayTemplate", map[string]any{}).expectFail(400, "xraySetting")
		if env.dbState(t) != before {
			t.Fatal("rejected template changed the database")
		}
		good := cloneJSON(t, tpl)
		good["outbounds"] = append(good["outbounds"].([]any), map[string]any{"tag": "extra", "protocol": "freedom"})
		// The API port must be free on this host (another x-ui may hold 62789).
		good["inbounds"].([]any)[0].(map[string]any)["port"] = hostPort(62789)
		c.api("POST", "setting/updateXrayTemplate", map[string]any{"xraySetting": good}).expectOK()
		if got := c.api("GET", "setting/getXrayTemplate", nil).expectOK(); !strings.Contains(string(got.Raw), `"extra"`) {
			t.Fatal("template not saved")
		}

		// Changing the admin login: the old password is checked, fields are
		// named, the caller's session survives and others end.
		other := env.loggedIn()
		c.api("POST", "setting/updateUser", map[string]any{"oldUsername": "admin", "oldPassword": "bad", "newUsername": "root", "newPassword": "password1"}).
			expectFail(400, "oldPassword")
		c.api("POST", "setting/updateUser", map[string]any{"oldUsername": "admin", "oldPassword": "admin", "newUsername": " ", "newPassword": "password1"}).
			expectFail(400, "newUsername")
		r := c.api("POST", "setting/updateUser", map[string]any{"oldUsername": "admin", "oldPassword": "admin", "newUsername": "root", "newPassword": "n3w-pass"}).expectOK()
		c.csrf = r.obj()["csrfToken"].(string)
		c.api("GET", "inbounds/list", nil).expectOK()
		other.api("GET", "inbounds/list", nil).expectFail(401, "session expired")
		if r := c.api("GET", "setting/defaultCredential", nil).expectOK(); r.Msg.Obj != false {
			t.Fatalf("defaultCredential after change: %s", r.Raw)
		}
		env.client().do("POST", "login", map[string]string{"username": "admin", "password": "admin"}).expectFail(401, "wrong")
		env.client().do("POST", "login", map[string]string{"username": "root", "password": "n3w-pass"}).expectOK()
	})
}

func cloneJSON(t *testing.T, m map[string]any) map[string]any {
	data, _ := json.Marshal(m)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWorkerIsReadOnly: on a worker every shared write is a 403 that says
// so, while reads work.
func TestWorkerIsReadOnly(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnvFile(t, b)
		c := env.loggedIn()
		c.api("POST", "inbounds/add", vlessInbound(hostPort(36001), vlessClient("w@x"))).expectOK()
		data, _ := os.ReadFile(filepath.Join(os.Getenv("XUI_DB_FOLDER"), "x-ui.json"))
		var settings map[string]any
		json.Unmarshal(data, &settings)
		settings["node"] = map[string]any{"nodeRole": "worker", "nodeId": "w1"}
		data, _ = json.Marshal(settings)
		os.WriteFile(filepath.Join(os.Getenv("XUI_DB_FOLDER"), "x-ui.json"), data, 0o600)
		env = env.restarted(t) // the role is read at start
		c = env.loggedIn()
		if env.app.Telegram != nil {
			t.Error("a worker built the Telegram bot: only the master's bot may poll the token")
		}

		before := env.dbState(t)
		c.api("GET", "inbounds/list", nil).expectOK()
		c.api("POST", "inbounds/add", vlessInbound(hostPort(36002), vlessClient("w2@x"))).expectFail(http.StatusForbidden, "master")
		c.api("POST", "inbounds/del/1", nil).expectFail(http.StatusForbidden, "master")
		c.api("POST", "setting/update", map[string]any{"subTitle": "w"}).expectFail(http.StatusForbidden, "master")
		c.api("POST", "setting/apiTokens/create", map[string]any{"name": "w"}).expectFail(http.StatusForbidden, "master")
		up := multipartBody(t, "db", []byte("SQLite format 3\x00"))
		c.apiRaw("POST", "server/importDB", up.body, up.ctype).expectFail(http.StatusForbidden, "master")
		if env.dbState(t) != before {
			t.Fatal("worker write changed the database")
		}
	})
}

func TestGzip(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	env := newEnv(t, dbtest.New(t, dbtest.SQLite))
	c := env.loggedIn()
	c.header = http.Header{"Accept-Encoding": {"gzip"}}
	r := c.api("GET", "setting/getXrayTemplate", nil)
	if r.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("not compressed: %v", r.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.Raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Contains(plain, []byte(`"success":true`)) {
		t.Fatalf("gunzip: %v %.100s", err, plain)
	}
}

// TestBackupAcrossBackends: a SQLite backup restores into MariaDB, and a
// MariaDB JSON dump restores into SQLite.
func TestBackupAcrossBackends(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	lite := newEnv(t, dbtest.New(t, dbtest.SQLite))
	c := lite.loggedIn()
	c.api("POST", "inbounds/add", vlessInbound(hostPort(38001), vlessClient("cross@x"))).expectOK()
	sqliteBackup := c.api("GET", "server/getDb", nil).Raw

	maria := newEnv(t, dbtest.New(t, dbtest.MariaDB))
	c = maria.loggedIn()
	up := multipartBody(t, "db", sqliteBackup)
	c.apiRaw("POST", "server/importDB", up.body, up.ctype).expectOK()
	// The backup's admin row (another bcrypt hash) replaced ours: sessions
	// issued for the old credentials end.
	c.api("GET", "inbounds/list", nil).expectFail(401, "session expired")
	c = maria.loggedIn()
	if r := c.api("GET", "inbounds/list", nil).expectOK(); !strings.Contains(string(r.Raw), "cross@x") {
		t.Fatalf("SQLite backup into MariaDB: %s", r.Raw)
	}
	c.api("POST", "inbounds/addClient", map[string]any{"id": 1, "settings": mustJSON(map[string]any{"clients": []any{vlessClient("maria@x")}})}).expectOK()
	jsonBackup := c.api("GET", "server/getDb", nil).Raw

	lite2 := newEnv(t, dbtest.New(t, dbtest.SQLite))
	c = lite2.loggedIn()
	up = multipartBody(t, "db", jsonBackup)
	c.apiRaw("POST", "server/importDB", up.body, up.ctype).expectOK()
	c = lite2.loggedIn()
	r := c.api("GET", "inbounds/list", nil).expectOK()
	if !strings.Contains(string(r.Raw), "cross@x") || !strings.Contains(string(r.Raw), "maria@x") {
		t.Fatalf("MariaDB dump into SQLite: %s", r.Raw)
	}
}
