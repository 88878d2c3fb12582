package sub_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/sub"
	"github.com/mhsanaei/3x-ui/v2/util/testcert"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
	"gopkg.in/yaml.v2"
)

// panelEnv is a panel database with inbounds, the panel's own Xray built
// from it, and the subscription handler reading the same database.
type panelEnv struct {
	t       *testing.T
	dir     string
	api     *xray.APIClient
	subURL  string
	payload string // http://localhost:port, a name so sing-box's private-IP rule does not send it direct
}

func newPanelEnv(t *testing.T) *panelEnv {
	t.Helper()
	b := dbtest.New(t, dbtest.SQLite)
	dir := dbtest.UseBackend(t, b)
	if err := database.InitDBWithPath(b.SQLitePath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.CloseDB() })
	apiPort := xraytest.FreePort(t)
	settingSvc := settings.New(database.Process(), cluster.NodeFromJSON())
	serverCfg := xraytest.ServerConfig(apiPort)
	if os.Getenv("XUI_TEST_SUB_DEBUG") != "" {
		serverCfg.LogConfig = json.RawMessage(`{"loglevel":"debug"}`)
	}
	tpl, _ := json.Marshal(serverCfg)
	if err := settingSvc.SetXrayConfigTemplate(string(tpl)); err != nil {
		t.Fatal(err)
	}
	env := &panelEnv{t: t, dir: dir, api: xray.NewAPIClient(fmt.Sprintf("127.0.0.1:%d", apiPort))}
	t.Cleanup(func() { env.api.Close() })
	payload := xraytest.StartPayloadServer(t, "")
	env.payload = strings.Replace(payload, "127.0.0.1", "localhost", 1)
	return env
}

// startXray starts the panel's Xray from the database, as x-ui run does.
func (e *panelEnv) startXray() {
	proc := xray.NewProcess(xray.ProcessOptions{BinaryPath: xraytest.Binary(e.t), ConfigPath: filepath.Join(e.dir, "config.json")})
	svc := xrayrun.NewRunner(settings.New(database.Process(), cluster.NodeFromJSON()), inbound.New(database.Process(), cluster.NodeFromJSON()), proc)
	if err := svc.Start(); err != nil {
		e.t.Fatalf("start xray: %v\n%v", err, proc.LastLogs(30))
	}
	t := e.t
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("panel Xray logs:\n%s", strings.Join(proc.LastLogs(40), "\n"))
		}
		_ = proc.Stop()
	})
	all, err := (settings.New(database.Process(), cluster.NodeFromJSON())).GetAllSettings()
	if err != nil {
		e.t.Fatal(err)
	}
	h := sub.NewHandler(sub.SettingsFrom(all), sub.FuncSource{InboundsFunc: func() ([]*model.Inbound, error) { return sub.DBInbounds(database.Process()) }}, nil)
	ts := httptest.NewServer(h)
	e.t.Cleanup(ts.Close)
	e.subURL = ts.URL
}

// fetch gets a subscription format (links come back decoded).
func (e *panelEnv) fetch(subID, format string) []byte {
	resp := do(e.t, "GET", e.subURL+"/sub/"+subID+"?format="+format, nil)
	if resp.code != 200 {
		e.t.Fatalf("%s %s: %d %s", subID, format, resp.code, resp.body)
	}
	if format == "links" {
		b, err := base64.StdEncoding.DecodeString(resp.body)
		if err != nil {
			e.t.Fatal(err)
		}
		return b
	}
	return []byte(resp.body)
}

// moveBytes pushes traffic through socks and checks the server's counters
// for email saw it.
//
// retryIf, when not nil, is asked after a first exchange that moved nothing
// and may allow one more (see the sing-box subtest for the one case).
func (e *panelEnv) moveBytes(socks, email string, retryIf func() bool) {
	e.t.Helper()
	_, _, _ = e.api.QueryTraffic(true) // start from zero
	// A GET: Xray's own trojan-over-gRPC client fails with "buffer is
	// full" when the first read already holds a large request body (an
	// upstream client issue, independent of the subscription), so the
	// upload side is just the request.
	const up, down = 64, 256 << 10
	got, err := xraytest.DownloadWithin(socks, fmt.Sprintf("%s/bytes?n=%d", e.payload, down), 30*time.Second)
	if err != nil && got == 0 && retryIf != nil && retryIf() {
		e.t.Logf("first exchange through %s failed (%v); known upstream race, retrying once", socks, err)
		got, err = xraytest.DownloadWithin(socks, fmt.Sprintf("%s/bytes?n=%d", e.payload, down), 30*time.Second)
	}
	if err != nil || got != down {
		e.t.Fatalf("exchange through %s: %d bytes, %v", socks, got, err)
	}
	var seen *xray.ClientTraffic
	xraytest.Eventually(5*time.Second, func() bool {
		_, clients, err := e.api.QueryTraffic(false)
		if err != nil {
			return false
		}
		for _, c := range clients {
			if c.Email == email && c.Up >= up && c.Down >= down {
				seen = c
				return true
			}
		}
		return false
	})
	if seen == nil {
		_, clients, _ := e.api.QueryTraffic(false)
		var s []string
		for _, c := range clients {
			s = append(s, fmt.Sprintf("%s up=%d down=%d", c.Email, c.Up, c.Down))
		}
		e.t.Fatalf("counters for %s did not show %d up / %d down: %v", email, up, down, s)
	}
	e.t.Logf("%s: moved %d down / %d up; counters up=%d down=%d", email, got, up, seen.Up, seen.Down)
}

type rtCase struct {
	name  string
	c     combo
	subID string
	email string
}

// addRoundTripInbounds stores the six acceptance inbounds through the
// panel's inbound.Store (so its validation accepts them).
func (e *panelEnv) addRoundTripInbounds() []rtCase {
	t := e.t
	certFile, keyFile := testcert.Write(t, e.dir, "tls.example.com")
	// REALITY borrows a local TLS server's handshake.
	target := httptest.NewTLSServer(nil)
	t.Cleanup(target.Close)
	priv, _ := ecdh.X25519().GenerateKey(rand.Reader)
	privB64 := base64.RawURLEncoding.EncodeToString(priv.Bytes())
	pubB64 := base64.RawURLEncoding.EncodeToString(priv.PublicKey().Bytes())

	cases := []rtCase{
		{name: "VLESS-REALITY", c: combo{"vless", "vision", "tcp", "reality"}},
		{name: "VLESS-WS-TLS", c: combo{"vless", "", "ws", "tls"}},
		{name: "VLESS-XHTTP", c: combo{"vless", "", "xhttp", "none"}},
		{name: "VMess-WS", c: combo{"vmess", "", "ws", "none"}},
		{name: "Trojan-gRPC-TLS", c: combo{"trojan", "", "grpc", "tls"}},
		{name: "SS-2022", c: combo{"shadowsocks", "2022", "tcp", "none"}},
	}
	svc := inbound.New(database.Process(), cluster.NodeFromJSON())
	for i := range cases {
		rc := &cases[i]
		rc.subID = fmt.Sprintf("rt%02d%s", i, strings.Repeat("x", 14))
		in := inboundFor(i+1, xraytest.FreePort(t), rc.c, certFile, keyFile)
		in.Id, in.ClientStats = 0, nil
		in.Tag = ""
		in.Listen = "127.0.0.1"
		in.Remark = rc.name
		in.Settings = strings.Replace(in.Settings, testSubID, rc.subID, 1)
		in.Settings = uniqueClientIDs(t, in.Settings, i)
		var st map[string]any
		_ = json.Unmarshal([]byte(in.StreamSettings), &st)
		switch rc.c.Security {
		case "reality":
			rs := st["realitySettings"].(map[string]any)
			rs["target"] = target.Listener.Addr().String()
			rs["privateKey"] = privB64
			rs["settings"].(map[string]any)["publicKey"] = pubB64
		case "tls":
			alpn := []string{"http/1.1"}
			if rc.c.Network == "grpc" {
				alpn = []string{"h2"}
			}
			st["tlsSettings"].(map[string]any)["alpn"] = alpn
		}
		in.StreamSettings = mustJSON(st)
		if _, err := svc.AddInbound(in); err != nil {
			t.Fatalf("%s: the panel refused the inbound: %v", rc.name, err)
		}
		rc.email = fmt.Sprintf("%s-%d", testEmailBase, i+1)
	}
	return cases
}

// TestRoundTrips: for each acceptance inbound, every format's client
// config (links through our own parser, Xray JSON as served, Clash proxies
// converted, sing-box JSON as served) moves bytes through the panel's Xray
// and the user's counters show them.
func TestRoundTrips(t *testing.T) {
	env := newPanelEnv(t)
	cases := env.addRoundTripInbounds()
	env.startXray()
	singboxBin := singboxBinary(t)
	for _, rc := range cases {
		t.Run(rc.name, func(t *testing.T) {
			env.t = t
			t.Run("links", func(t *testing.T) {
				env.t = t
				lines := strings.Split(strings.TrimSpace(string(env.fetch(rc.subID, "links"))), "\n")
				if len(lines) != 1 {
					t.Fatalf("want one link, got %q", lines)
				}
				ob, err := parseLink(lines[0])
				if err != nil {
					t.Fatalf("parse %s: %v", lines[0], err)
				}
				socks, _ := xraytest.StartClient(t, mustRaw(ob), "")
				env.moveBytes(socks, rc.email, nil)
			})
			t.Run("xray-json", func(t *testing.T) {
				env.t = t
				var configs []map[string]any
				if err := json.Unmarshal(env.fetch(rc.subID, "json"), &configs); err != nil || len(configs) != 1 {
					t.Fatalf("json: %v (%d configs)", err, len(configs))
				}
				socks := runXrayConfig(t, configs[0])
				env.moveBytes(socks, rc.email, nil)
			})
			t.Run("clash", func(t *testing.T) {
				env.t = t
				var doc map[string]any
				if err := yaml.Unmarshal(env.fetch(rc.subID, "clash"), &doc); err != nil {
					t.Fatal(err)
				}
				doc = normalizeYAML(doc).(map[string]any)
				proxies, _ := doc["proxies"].([]any)
				if len(proxies) != 1 {
					t.Fatalf("want one proxy, got %v", doc["proxies"])
				}
				ob, err := clashToOutbound(proxies[0].(map[string]any))
				if err != nil {
					t.Fatal(err)
				}
				socks, _ := xraytest.StartClient(t, mustRaw(ob), "")
				env.moveBytes(socks, rc.email, nil)
			})
			t.Run("singbox", func(t *testing.T) {
				env.t = t
				body := env.fetch(rc.subID, "singbox")
				if rc.c.Network == "xhttp" {
					// sing-box has no XHTTP transport: the profile is left out.
					if strings.Contains(string(body), `"server_port"`) {
						t.Fatal("xhttp entry rendered for sing-box")
					}
					return
				}
				socks, logs := runSingbox(t, singboxBin, body)
				// sing-box's urltest probes its outbound as it starts. When
				// that probe and the first request open Shadowsocks-2022
				// connections to Xray's multi-user server at the same
				// moment, about one run in 30 the first request ends with
				// EOF, sometimes logged by sing-box as "bad request salt":
				// an interop race between the two upstream
				// implementations, not in the profile (the same sing-box
				// then moves the bytes). Only that case earns one more try.
				var retry func() bool
				if rc.c.Protocol == "shadowsocks" {
					retry = func() bool {
						t.Logf("sing-box log so far: %q", logs())
						return true
					}
				}
				env.moveBytes(socks, rc.email, retry)
			})
		})
	}
}

func mustRaw(v any) json.RawMessage { return json.RawMessage(mustJSON(v)) }

// normalizeYAML turns yaml.v2's map[any]any into map[string]any.
func normalizeYAML(v any) any {
	switch x := v.(type) {
	case map[any]any:
		m := map[string]any{}
		for k, val := range x {
			m[fmt.Sprint(k)] = normalizeYAML(val)
		}
		return m
	case map[string]any:
		for k, val := range x {
			x[k] = normalizeYAML(val)
		}
		return x
	case []any:
		for i := range x {
			x[i] = normalizeYAML(x[i])
		}
	}
	return v
}

// runXrayConfig runs a served Xray client config; only the local ports
// change (the served 10808/10809 may be taken) and the http inbound goes.
func runXrayConfig(t *testing.T, cfg map[string]any) string {
	port := xraytest.FreePort(t)
	var kept []any
	for _, in := range cfg["inbounds"].([]any) {
		m := in.(map[string]any)
		if m["protocol"] == "socks" {
			m["port"] = port
			kept = append(kept, m)
		}
	}
	cfg["inbounds"] = kept
	if os.Getenv("XUI_TEST_SUB_DEBUG") != "" {
		cfg["log"] = map[string]any{"loglevel": "debug"}
	}
	path := filepath.Join(t.TempDir(), "client.json")
	if err := os.WriteFile(path, []byte(mustJSON(cfg)), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, _ := runProcess(t, xraytest.Binary(t), []string{"run", "-c", path}, port)
	return addr
}

// singboxBinary finds the sing-box built for tests.
func singboxBinary(t *testing.T) string {
	path := os.Getenv("XUI_TEST_SINGBOX_BIN")
	if path == "" {
		home, _ := os.UserHomeDir()
		path = filepath.Join(home, ".cache", "x-ui-test", "sing-box-v1.14.1", "sing-box")
	}
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		t.Fatalf("sing-box binary %s not found: run scripts/test-env.sh (it builds `go install -tags with_utls,with_gvisor github.com/sagernet/sing-box/cmd/sing-box@v1.14.1` into ~/.cache/x-ui-test/sing-box-v1.14.1/) or set XUI_TEST_SINGBOX_BIN", path)
	}
	return path
}

// runSingbox checks and runs a served sing-box config with its mixed
// inbound moved to a free port; logs reads what it printed so far.
func runSingbox(t *testing.T, bin string, body []byte) (addr string, logs func() string) {
	var cfg map[string]any
	if err := json.Unmarshal(body, &cfg); err != nil {
		t.Fatal(err)
	}
	port := xraytest.FreePort(t)
	for _, in := range cfg["inbounds"].([]any) {
		in.(map[string]any)["listen_port"] = port
	}
	path := filepath.Join(t.TempDir(), "singbox.json")
	if err := os.WriteFile(path, []byte(mustJSON(cfg)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "-c", path).CombinedOutput(); err != nil {
		t.Fatalf("sing-box check: %v\n%s", err, out)
	}
	return runProcess(t, bin, []string{"run", "-c", path, "-D", t.TempDir()}, port)
}

func runProcess(t *testing.T, bin string, args []string, port int) (string, func() string) {
	cmd := exec.Command(bin, args...)
	logs := &lockedLog{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), logs.String())
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if !xraytest.WaitPort(addr, 15*time.Second) {
		t.Fatalf("%s did not open %s:\n%s", filepath.Base(bin), addr, logs.String())
	}
	return addr, logs.String
}

// lockedLog is a process's output, readable while the process writes it.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// uniqueClientIDs rewrites the last two digits of every client UUID with n:
// the panel refuses an id another inbound already uses (409).
func uniqueClientIDs(t *testing.T, settings string, n int) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(settings), &doc); err != nil {
		t.Fatal(err)
	}
	clients, _ := doc["clients"].([]any)
	for _, c := range clients {
		if m, ok := c.(map[string]any); ok {
			if id, ok := m["id"].(string); ok && len(id) == 36 {
				m["id"] = fmt.Sprintf("%s%02d", id[:34], n)
			}
		}
	}
	return mustJSON(doc)
}
