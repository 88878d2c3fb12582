package multinode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/tests/testbin"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
	"gorm.io/gorm"
)

// xuiBinary builds the panel once per test binary.
func xuiBinary(t testing.TB) string {
	t.Helper()
	bin, err := testbin.XUI()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// cluster is a master and workers sharing one fresh MariaDB database.
type cluster struct {
	t        testing.TB
	db       config.DBConfig
	password string
	xuiBin   string
	xrayBin  string
	conn     *gorm.DB // the test's own view of the shared database
	master   *node
	workers  []*node
	api      *apiClient
}

// testTemplate is the default template without the private-destination
// block (the payload servers live on the test hosts' private addresses).
func testTemplate(t testing.TB) string {
	t.Helper()
	cfg := xraytest.ServerConfig(62789)
	cfg.LogConfig = json.RawMessage(`{"loglevel":"warning","access":"none"}`)
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func newCluster(t testing.TB, workers int, opts nodeOptions) *cluster {
	t.Helper()
	c := &cluster{t: t, db: dbtest.NewMariaDB(t), xuiBin: xuiBinary(t), xrayBin: xraytest.Binary(t)}
	ownDatabase(c.db.Name)
	c.password = c.db.Password
	conn, err := database.OpenMariaDB(c.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := conn.DB(); err == nil {
			sqlDB.Close()
		}
	})
	if err := database.Migrate(conn); err != nil {
		t.Fatal(err)
	}
	if err := conn.Create(&model.Setting{Key: "xrayTemplateConfig", Value: testTemplate(t)}).Error; err != nil {
		t.Fatal(err)
	}
	c.conn = conn
	c.master = newNode(t, c, "m", config.NodeRoleMaster, opts)
	c.master.start(c)
	for i := 0; i < workers; i++ {
		w := newNode(t, c, fmt.Sprintf("w%d", i+1), config.NodeRoleWorker, opts)
		w.start(c)
		c.workers = append(c.workers, w)
	}
	c.api = login(t, c.master.panelURL())
	return c
}

// apiClient talks to a panel with a logged-in session (cookie + CSRF).
type apiClient struct {
	t    testing.TB
	base string
	csrf string
	http *http.Client
}

type envelope struct {
	Success bool            `json:"success"`
	Msg     string          `json:"msg"`
	Obj     json.RawMessage `json:"obj"`
}

// login signs in as admin/admin.
func login(t testing.TB, base string) *apiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 15 * time.Second}
	resp, err := hc.PostForm(base+"login", url.Values{"username": {"admin"}, "password": {"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	var env envelope
	json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	var info struct {
		CSRFToken string `json:"csrfToken"`
	}
	json.Unmarshal(env.Obj, &info)
	if !env.Success || info.CSRFToken == "" {
		t.Fatalf("login failed: %+v", env)
	}
	return &apiClient{t: t, base: base, csrf: info.CSRFToken, http: hc}
}

// call sends body as JSON and returns the status and envelope.
func (a *apiClient) call(method, path string, body any) (int, envelope) {
	a.t.Helper()
	var reader io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		reader = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, a.base+"panel/api/"+path, reader)
	req.Header.Set("X-CSRF-Token", a.csrf)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var env envelope
	json.NewDecoder(resp.Body).Decode(&env)
	return resp.StatusCode, env
}

// mustOK calls and fails the test unless the call succeeded.
func (a *apiClient) mustOK(method, path string, body any) envelope {
	a.t.Helper()
	status, env := a.call(method, path, body)
	if status != http.StatusOK || !env.Success {
		a.t.Fatalf("%s %s: %d %s", method, path, status, env.Msg)
	}
	return env
}

// addVLESSInbound creates a VLESS inbound on port with the given clients.
func (c *cluster) addVLESSInbound(port int, clients ...map[string]any) int {
	c.t.Helper()
	settings, _ := json.Marshal(map[string]any{"clients": clients, "decryption": "none"})
	env := c.api.mustOK(http.MethodPost, "inbounds/add", map[string]any{
		"enable": true, "port": port, "protocol": "vless", "remark": fmt.Sprintf("mn-%d", port),
		"settings": string(settings), "streamSettings": `{"network":"tcp","security":"none"}`, "sniffing": `{}`,
	})
	var in model.Inbound
	json.Unmarshal(env.Obj, &in)
	if in.Id == 0 {
		c.t.Fatalf("add inbound: no id in %s", env.Obj)
	}
	return in.Id
}

// addVLESSInbounds creates inbounds VLESS inbounds on consecutive ports
// from firstPort, each with perInbound clients named by emailFormat (given
// the inbound and client index); it returns their ids and every email.
func (c *cluster) addVLESSInbounds(firstPort, inbounds, perInbound int, emailFormat string) (ids []int, emails []string) {
	c.t.Helper()
	ids = make([]int, inbounds)
	for i := range ids {
		list := make([]map[string]any, perInbound)
		for j := range list {
			list[j] = vlessClient(fmt.Sprintf(emailFormat, i, j), nil)
			emails = append(emails, list[j]["email"].(string))
		}
		ids[i] = c.addVLESSInbound(firstPort+i, list...)
	}
	return ids, emails
}

func vlessClient(email string, extra map[string]any) map[string]any {
	c := map[string]any{"id": xraytest.NewUUID(), "email": email, "enable": true}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

// addClient adds one client to inbound id on the master.
func (c *cluster) addClient(inboundID int, client map[string]any) {
	c.t.Helper()
	settings, _ := json.Marshal(map[string]any{"clients": []any{client}})
	c.api.mustOK(http.MethodPost, "inbounds/addClient", map[string]any{"id": inboundID, "settings": string(settings)})
}

// proxyVia starts an Xray client that reaches host's inbound as client.
func proxyVia(t testing.TB, h *testHost, port int, client map[string]any) string {
	t.Helper()
	socks, stop := xraytest.StartClient(t, xraytest.VLESSOutboundTo(h.nsIP, port, client["id"].(string)), "")
	t.Cleanup(stop)
	return socks
}

// payloadOn serves test downloads on a test host's gateway address, which
// the node's Xray reaches through its veth.
func payloadOn(t testing.TB, h *testHost) string {
	t.Helper()
	return xraytest.StartPayloadServer(t, h.hostIP+":0")
}

func canDownload(socks, url string) bool {
	_, err := xraytest.DownloadWithin(socks, url, 3*time.Second)
	return err == nil
}

func mustJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(data)
}

// servedWorker is a one-worker cluster whose worker already serves a VLESS
// inbound created on the master with one client.
type servedWorker struct {
	*cluster
	w         *node
	payload   string
	base      map[string]any
	inboundID int
	socks     string
}

func newServedWorker(t testing.TB, email string) *servedWorker {
	t.Helper()
	c := newCluster(t, 1, nodeOptions{syncSeconds: 2, flushSeconds: 1})
	s := &servedWorker{cluster: c, w: c.workers[0], base: vlessClient(email, nil)}
	s.payload = payloadOn(t, s.w.host)
	s.inboundID = c.addVLESSInbound(inboundPort, s.base)
	s.socks = proxyVia(t, s.w.host, inboundPort, s.base)
	if !waitFor(15*time.Second, func() bool { return canDownload(s.socks, s.payload+"/bytes?n=1024") }) {
		t.Fatal("worker never served the master's inbound")
	}
	return s
}
