package app

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/util/testcert"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/web/controller"
	"github.com/mhsanaei/3x-ui/v2/web/session"
)

// TestServerLifecycle runs the real server with a real Xray: plain HTTP on
// SQLite, TLS on MariaDB. A new inbound reaches the running Xray, a panel
// restart comes back, and Stop ends HTTP and Xray.
func TestServerLifecycle(t *testing.T) {
	// Sequential: uses the process database and sets XUI_BIN_FOLDER (process-wide).
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		dbtest.UseBackend(t, b)
		binDir := t.TempDir()
		t.Setenv("XUI_BIN_FOLDER", binDir)
		if err := os.Symlink(testXrayBinary(t), XrayBinaryPath()); err != nil {
			t.Fatal(err)
		}
		if err := database.InitDBWithPath(b.SQLitePath); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { database.CloseDB() })
		// Xray's API on a free port, so parallel test runs do not collide.
		tpl := strings.Replace(settings.DefaultXrayTemplate, "62789", fmt.Sprint(freePort(t)), 1)
		if err := (settings.New(database.Process(), cluster.NodeFromJSON())).SetXrayConfigTemplate(tpl); err != nil {
			t.Fatal(err)
		}
		cfg := config.PanelConfig{Listen: "127.0.0.1", Port: freePort(t), BasePath: "/life/", SessionMaxAge: 30}
		if err := config.WriteSettingsToJSON(map[string]any{"listen": cfg.Listen, "port": cfg.Port, "webBasePath": cfg.BasePath}); err != nil {
			t.Fatal(err)
		}
		useTLS := b.Name == dbtest.MariaDB
		if useTLS {
			cfg.CertFile, cfg.KeyFile = testcert.Write(t, t.TempDir(), "127.0.0.1")
			config.WriteSettingsToJSON(map[string]any{"certFile": cfg.CertFile, "keyFile": cfg.KeyFile})
		}

		srv := NewServer(cfg, Options{DB: database.Process(), Node: cluster.NodeFromJSON()})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := srv.Start(ctx); err != nil {
			t.Fatal(err)
		}
		stopped := false
		defer func() {
			if !stopped {
				srv.Stop()
			}
		}()
		url := srv.URL()
		if want := map[bool]string{true: "https://", false: "http://"}[useTLS]; !strings.HasPrefix(url, want) {
			t.Fatalf("URL %s, want %s...", url, want)
		}
		if s, _ := config.LoadSettingsJSON(); s["panelSecurity"].(map[string]any)["secret"] == "" {
			t.Fatal("session secret not stored in x-ui.json")
		}

		hc := httpClient(t)
		req, _ := http.NewRequest("POST", url+"login", strings.NewReader(`{"username":"admin","password":"admin"}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var login controller.Msg
		json.NewDecoder(res.Body).Decode(&login)
		res.Body.Close()
		if !login.Success {
			t.Fatalf("login: %+v", login)
		}
		csrf := login.Obj.(map[string]any)["csrfToken"].(string)
		for _, ck := range res.Cookies() {
			if ck.Name == session.CookieName && ck.Secure != useTLS {
				t.Fatalf("session cookie Secure=%v with TLS=%v", ck.Secure, useTLS)
			}
		}
		if !waitFor(10*time.Second, func() bool { return srv.App().Xray.IsXrayRunning() }) {
			t.Fatalf("xray not running: %v", srv.App().Xray.Logs(20))
		}
		inPort := freePort(t)
		postJSON(t, hc, url+"panel/api/inbounds/add", csrf, vlessInbound(inPort, vlessClient("life@x")))
		if !waitFor(5*time.Second, func() bool { return dialOK(inPort) }) {
			t.Fatalf("new inbound port %d not served by xray", inPort)
		}

		// restartPanel: same settings, the server answers again.
		postJSON(t, hc, url+"panel/api/setting/restartPanel", csrf, nil)
		if !waitFor(10*time.Second, func() bool {
			r, err := hc.Get(url + "health")
			if err == nil {
				r.Body.Close()
			}
			return err == nil && r.StatusCode == 200
		}) {
			t.Fatal("panel did not come back after restartPanel")
		}
		time.Sleep(700 * time.Millisecond) // let the restart goroutine finish
		get(t, hc, url+"panel/api/inbounds/list")

		if err := srv.Stop(); err != nil {
			t.Fatalf("stop: %v", err)
		}
		stopped = true
		if srv.App().Xray.IsXrayRunning() || dialOK(inPort) {
			t.Fatal("xray still running after Stop")
		}
		if _, err := hc.Get(url + "health"); err == nil {
			t.Fatal("HTTP still served after Stop")
		}
	})
}

// freePort is a free loopback TCP port.
func freePort(t *testing.T) int { return xraytest.FreePort(t) }

func dialOK(port int) bool {
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func waitFor(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

func httpClient(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:     jar,
		Timeout: 15 * time.Second,
		// The test certificate is self-signed.
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func postJSON(t *testing.T, hc *http.Client, url, csrf string, body any) controller.Msg {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, strings.NewReader(string(data)))
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set(session.CSRFHeader, csrf)
	}
	return send(t, hc, req)
}

func get(t *testing.T, hc *http.Client, url string) controller.Msg {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	return send(t, hc, req)
}

func send(t *testing.T, hc *http.Client, req *http.Request) controller.Msg {
	t.Helper()
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var msg controller.Msg
	if err := json.Unmarshal(raw, &msg); err != nil || res.StatusCode != 200 || !msg.Success {
		t.Fatalf("%s %s: %d %s", req.Method, req.URL, res.StatusCode, raw)
	}
	return msg
}
