package app

import (
	"bytes"
	"encoding/json"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/ops"
	"github.com/mhsanaei/3x-ui/v2/tests/testbin"
	"github.com/mhsanaei/3x-ui/v2/web/controller"
	"github.com/mhsanaei/3x-ui/v2/web/session"
)

const testBase = "/xui/"

// testDomain is the Host httptest.NewRequest sends; the test panels list
// it in webDomain as a real panel lists its own name.
const testDomain = "example.com"

// testXrayBinary is the real Xray the Makefile builds.
func testXrayBinary(t testing.TB) string { return testbin.Xray(t) }

// testEnv is an App on a fresh database of one backend, served by httptest.
type testEnv struct {
	t   testing.TB
	app *App
	h   http.Handler
	db  *database.Handle // the App's database
}

// newEnv opens b and wires the App. Xray is left stopped on purpose (as
// after "stop Xray"): route tests check what is stored, and
// TestServerLifecycle covers the running Xray.
func newEnv(t testing.TB, b dbtest.Backend) *testEnv {
	t.Helper()
	return newEnvWith(t, b, Options{})
}

// newEnvWith is newEnv with extra options (the Xray paths are set here).
// The App gets a database of its own, a master role and a session secret,
// so it touches no environment variable, x-ui.json or process handle and
// the test may call t.Parallel.
func newEnvWith(t testing.TB, b dbtest.Backend, opts Options) *testEnv {
	t.Helper()
	opts.DB = testdb.Handle(t, b)
	if opts.Node == nil {
		opts.Node = cluster.NewNode(config.NodeConfig{Role: config.NodeRoleMaster}, b.Name == dbtest.MariaDB, opts.DB)
	}
	return startEnv(t, config.PanelConfig{BasePath: testBase, SessionMaxAge: 60, Secret: session.NewSecret()}, opts)
}

// newEnvFile is newEnv for tests of what x-ui.json holds (panel settings,
// the node role): XUI_DB_FOLDER points at a folder whose x-ui.json selects
// b, and the App uses the process handle, as the real server does.
// Tests using it stay sequential (t.Setenv refuses t.Parallel anyway):
// XUI_DB_FOLDER and the process handle are one per process.
func newEnvFile(t testing.TB, b dbtest.Backend) *testEnv {
	t.Helper()
	dbtest.UseBackend(t, b)
	t.Setenv("XUI_BIN_FOLDER", t.TempDir())
	if err := database.InitDBWithPath(b.SQLitePath); err != nil {
		t.Fatalf("open %s: %v", b.Name, err)
	}
	t.Cleanup(func() { database.CloseDB() })
	testdb.CheapAdmin(t, database.GetDB())
	return startEnv(t, config.PanelConfig{BasePath: testBase, SessionMaxAge: 60}, Options{
		DB: database.Process(), Node: cluster.NodeFromJSON(), Panel: config.NewPanelSection(config.GetPanelConfigFromJSON())})
}

func startEnv(t testing.TB, cfg config.PanelConfig, opts Options) *testEnv {
	t.Helper()
	opts.XrayBinary = testXrayBinary(t)
	opts.XrayConfigPath = filepath.Join(t.TempDir(), "config.json")
	opts.TrafficJournal = filepath.Join(t.TempDir(), "traffic-pending.json")
	cfg.WebDomain = testDomain
	app, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Xray.StopXray(); err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, app: app, h: app.Handler(), db: app.DB}
}

// client keeps cookies and the CSRF token like a browser would.
type client struct {
	env     *testEnv
	cookies map[string]*http.Cookie
	csrf    string
	bearer  string
	remote  string
	host    string // Host header; "" is testDomain
	noCSRF  bool
	header  http.Header
}

func (e *testEnv) client() *client {
	return &client{env: e, cookies: map[string]*http.Cookie{}, remote: "192.0.2.1:4000"}
}

// loggedIn returns a client with an admin/admin session.
func (e *testEnv) loggedIn() *client {
	c := e.client()
	r := c.do("POST", "login", map[string]string{"username": "admin", "password": "admin"})
	if r.Code != 200 || !r.Msg.Success {
		e.t.Fatalf("login: %d %s", r.Code, r.Raw)
	}
	c.csrf = r.obj()["csrfToken"].(string)
	return c
}

type resp struct {
	Code   int
	Header http.Header
	Raw    []byte
	Msg    controller.Msg
	t      testing.TB
}

func (r *resp) obj() map[string]any {
	m, ok := r.Msg.Obj.(map[string]any)
	if !ok {
		r.t.Fatalf("obj is not an object: %s", r.Raw)
	}
	return m
}

// do sends a request under testBase. body: nil, string (raw JSON),
// url.Values (form) or anything else (marshalled to JSON).
func (c *client) do(method, path string, body any) *resp {
	c.env.t.Helper()
	var rd *bytes.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd, ctype = bytes.NewReader([]byte(b)), "application/json"
	case url.Values:
		rd, ctype = bytes.NewReader([]byte(b.Encode())), "application/x-www-form-urlencoded"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.env.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(data), "application/json"
	}
	req := httptest.NewRequest(method, testBase+path, rd)
	req.RemoteAddr = c.remote
	if c.host != "" {
		req.Host = c.host
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	if c.csrf != "" && !c.noCSRF {
		req.Header.Set(session.CSRFHeader, c.csrf)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	rec := httptest.NewRecorder()
	c.env.h.ServeHTTP(rec, req)
	res := rec.Result()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	out := &resp{Code: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes(), t: c.env.t}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && rec.Header().Get("Content-Encoding") == "" {
		if err := json.Unmarshal(out.Raw, &out.Msg); err != nil {
			c.env.t.Fatalf("%s %s: bad JSON %q: %v", method, path, out.Raw, err)
		}
	}
	return out
}

// api calls a route under panel/api/.
func (c *client) api(method, path string, body any) *resp {
	c.env.t.Helper()
	return c.do(method, "panel/api/"+path, body)
}

// expectFail asserts a failed envelope with status code whose message
// names field.
func (r *resp) expectFail(code int, field string) {
	r.t.Helper()
	if r.Code != code || r.Msg.Success {
		r.t.Fatalf("want HTTP %d failure, got %d: %s", code, r.Code, r.Raw)
	}
	if !strings.Contains(r.Msg.Msg, field) {
		r.t.Fatalf("message %q does not name %q", r.Msg.Msg, field)
	}
}

func (r *resp) expectOK() *resp {
	r.t.Helper()
	if r.Code != 200 || !r.Msg.Success {
		r.t.Fatalf("want success, got %d: %s", r.Code, r.Raw)
	}
	return r
}

// dbState is every data table as JSON, to prove a failed request changed nothing.
func (e *testEnv) dbState(t testing.TB) string {
	t.Helper()
	conn := e.db.Current()
	var sb strings.Builder
	for _, m := range database.AllModels() {
		var rows []map[string]any
		if err := conn.Model(m).Order("1").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(rows)
		sb.Write(data)
		sb.WriteByte('\n')
	}
	return sb.String()
}

func mustJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(data)
}

// vlessInbound is an add-inbound body with the given clients.
func vlessInbound(port int, clients ...map[string]any) map[string]any {
	return map[string]any{
		"remark": "test", "enable": true, "listen": "127.0.0.1", "port": port, "protocol": "vless",
		"settings":       mustJSON(map[string]any{"clients": clients, "decryption": "none"}),
		"streamSettings": `{"network":"tcp","security":"none"}`,
		"sniffing":       `{"enabled":false}`,
	}
}

func vlessClient(email string) map[string]any {
	return map[string]any{"id": newTestUUID(), "email": email, "enable": true}
}

func newTestUUID() string { return ops.NewUUID() }

func itoa(i int) string { return strconv.Itoa(i) }

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

var (
	hostPortsMu sync.Mutex
	hostPorts   = map[int]int{}
)

// hostPort maps a test's port label to a port free on this host (the same
// one for the same label), since the pre-commit check probes the host and
// other programs may hold any fixed port.
func hostPort(label int) int {
	hostPortsMu.Lock()
	defer hostPortsMu.Unlock()
	if p, ok := hostPorts[label]; ok {
		return p
	}
	p, err := xraytest.PickPort()
	if err != nil {
		panic(err)
	}
	hostPorts[label] = p
	return p
}
