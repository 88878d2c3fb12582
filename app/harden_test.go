package app

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// servingEnv is newEnv with Xray running a template that lets the proxy
// reach loopback, and one VLESS client moving bytes through it.
type servingEnv struct {
	*testEnv
	c       *client
	inID    string
	inPort  int
	socks   string
	payload string
}

func newServingEnv(t *testing.T, b dbtest.Backend) *servingEnv {
	t.Helper()
	env := newEnv(t, b)
	var tpl map[string]any
	if err := json.Unmarshal([]byte(settings.DefaultXrayTemplate), &tpl); err != nil {
		t.Fatal(err)
	}
	routing := tpl["routing"].(map[string]any)
	routing["rules"] = routing["rules"].([]any)[:1] // keep api, drop the private-IP block
	tpl["inbounds"].([]any)[0].(map[string]any)["port"] = xraytest.FreePort(t)
	if err := env.app.Settings.SetXrayConfigTemplate(mustJSON(tpl)); err != nil {
		t.Fatal(err)
	}
	if err := env.app.Xray.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.app.Xray.StopXray() })
	s := &servingEnv{testEnv: env, c: env.loggedIn(), inPort: xraytest.FreePort(t)}
	cl := vlessClient("alive@x")
	add := s.c.api("POST", "inbounds/add", vlessInbound(s.inPort, cl)).expectOK()
	s.inID = itoa(int(add.obj()["id"].(float64)))
	s.payload = xraytest.StartPayloadServer(t, "")
	s.socks, _ = xraytest.StartClient(t, xraytest.VLESSOutbound(s.inPort, cl["id"].(string), ""), "")
	s.mustMoveBytes(t)
	return s
}

// mustMoveBytes: the existing client still downloads through Xray.
func (s *servingEnv) mustMoveBytes(t *testing.T) {
	t.Helper()
	var n int64
	var err error
	ok := xraytest.Eventually(10*time.Second, func() bool {
		n, err = xraytest.DownloadWithin(s.socks, s.payload+"/bytes?n=65536", 5*time.Second)
		return err == nil && n == 65536
	})
	if !ok {
		t.Fatalf("existing client moved %d bytes (%v); xray running=%v logs=%v", n, err, s.app.Xray.IsXrayRunning(), s.app.Xray.Logs(10))
	}
}

// refused asserts the request fails with code naming field, changes no
// table, and leaves the existing client served.
func (s *servingEnv) refused(t *testing.T, method, path string, body any, code int, field string) {
	t.Helper()
	before := s.dbState(t)
	s.env().t = t
	s.c.api(method, path, body).expectFail(code, field)
	if after := s.dbState(t); after != before {
		t.Fatalf("%s %s changed the database", method, path)
	}
	s.mustMoveBytes(t)
}

func (s *servingEnv) env() *testEnv { return s.testEnv }

// TestValueThePanelAcceptsXrayRuns is issue 9 defect 1: a client value
// Xray's loader refuses (the VLESS flow xtls-rprx-vision-udp443 used to be
// accepted and took Xray down on the next restart) is refused with 400
// naming the field, on every write path, and nothing is stored.
func TestValueThePanelAcceptsXrayRuns(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		s := newServingEnv(t, b)
		udp443 := vlessClient("udp443@x")
		udp443["flow"] = "xtls-rprx-vision-udp443"
		s.refused(t, "POST", "inbounds/add", vlessInbound(xraytest.FreePort(t), udp443), 400, "flow")
		s.refused(t, "POST", "inbounds/addClient", map[string]any{"id": atoi(s.inID),
			"settings": mustJSON(map[string]any{"clients": []any{udp443}})}, 400, "flow")
		trojan := map[string]any{
			"remark": "t", "enable": true, "listen": "127.0.0.1", "port": xraytest.FreePort(t), "protocol": "trojan",
			"settings": mustJSON(map[string]any{"clients": []any{map[string]any{
				"password": "pw", "email": "tr@x", "flow": "xtls-rprx-vision"}}}),
		}
		s.refused(t, "POST", "inbounds/add", trojan, 400, "flow")
		ss := map[string]any{
			"remark": "s", "enable": true, "listen": "127.0.0.1", "port": xraytest.FreePort(t), "protocol": "shadowsocks",
			"settings": mustJSON(map[string]any{"method": "2022-blake3-aes-256-gcm", "password": xraytest.NewKey(16),
				"clients": []any{map[string]any{"password": xraytest.NewKey(32), "email": "ss@x"}}}),
		}
		s.refused(t, "POST", "inbounds/add", ss, 400, "password")
		if !s.app.Xray.IsXrayRunning() {
			t.Fatal("xray stopped")
		}
	})
}

// TestWritesXrayCannotRunAreRefused is issue 10 finding 1: inbound writes
// that Xray cannot run are answered 400/409 naming the field, nothing is
// stored and the existing client keeps moving bytes throughout.
func TestWritesXrayCannotRunAreRefused(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		s := newServingEnv(t, b)
		with := func(port int, mut func(m map[string]any)) map[string]any {
			m := vlessInbound(port, vlessClient(fmt.Sprintf("n%d@x", port)))
			mut(m)
			return m
		}
		file := filepath.Join(t.TempDir(), "plain-file")
		if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		held, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer held.Close()
		heldPort := held.Addr().(*net.TCPAddr).Port
		p := xraytest.FreePort(t)
		cases := []struct {
			name, path string
			body       map[string]any
			code       int
			field      string
		}{
			{"network evil", "inbounds/add", with(p, func(m map[string]any) { m["streamSettings"] = `{"network":"evil"}` }), 400, "streamSettings.network"},
			{"security evil", "inbounds/add", with(p, func(m map[string]any) { m["streamSettings"] = `{"network":"tcp","security":"evil"}` }), 400, "streamSettings.security"},
			{"security evil on update", "inbounds/update/" + s.inID, with(s.inPort, func(m map[string]any) {
				m["streamSettings"] = `{"network":"tcp","security":"evil"}`
			}), 400, "streamSettings.security"},
			{"network h2 removed from xray", "inbounds/add", with(p, func(m map[string]any) { m["streamSettings"] = `{"network":"h2"}` }), 400, "streamSettings.network"},
			{"reality over ws", "inbounds/add", with(p, func(m map[string]any) { m["streamSettings"] = `{"network":"ws","security":"reality"}` }), 400, "streamSettings.security"},
			{"tls with a missing certificate", "inbounds/add", with(p, func(m map[string]any) {
				m["streamSettings"] = `{"network":"tcp","security":"tls","tlsSettings":{"certificates":[{"certificateFile":"/nonexistent.crt","keyFile":"/nonexistent.key"}]}}`
			}), 400, "streamSettings"},
			{"listen on /etc/passwd", "inbounds/add", with(p, func(m map[string]any) { m["listen"] = "/etc/passwd" }), 400, "listen"},
			{"listen on a file", "inbounds/add", with(p, func(m map[string]any) { m["listen"] = file }), 400, "listen"},
			{"listen a host name", "inbounds/add", with(p, func(m map[string]any) { m["listen"] = "localhost" }), 400, "listen"},
			{"port held by another process", "inbounds/add", with(heldPort, func(m map[string]any) {}), 409, "port"},
			{"update to a held port", "inbounds/update/" + s.inID, with(heldPort, func(m map[string]any) {}), 409, "port"},
			{"remark over the limit", "inbounds/add", with(p, func(m map[string]any) { m["remark"] = strings.Repeat("r", inbound.MaxRemark+1) }), 400, "remark"},
			{"remark with NUL", "inbounds/add", with(p, func(m map[string]any) { m["remark"] = "a\x00b" }), 400, "remark"},
		}
		for _, tc := range cases {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				s.refused(t, "POST", tc.path, tc.body, tc.code, tc.field)
			})
		}
		s.env().t = t
		if !s.app.Xray.IsXrayRunning() {
			t.Fatal("xray stopped")
		}
	})
}

// TestTemplateThatBreaksXrayIsRefused is issue 10 finding 2.
func TestTemplateThatBreaksXrayIsRefused(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		s := newServingEnv(t, b)
		panelPort := xraytest.FreePort(t)
		s.app.Template.PanelPort = panelPort
		s.app.Template.LogFolder = t.TempDir()
		cur, err := s.app.Settings.GetXrayConfigTemplate()
		if err != nil {
			t.Fatal(err)
		}
		mut := func(f func(tpl map[string]any)) map[string]any {
			var tpl map[string]any
			if err := json.Unmarshal([]byte(cur), &tpl); err != nil {
				t.Fatal(err)
			}
			f(tpl)
			return map[string]any{"xraySetting": tpl}
		}
		apiIn := func(tpl map[string]any) map[string]any { return tpl["inbounds"].([]any)[0].(map[string]any) }
		cases := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"api on the panel port", mut(func(tpl map[string]any) { apiIn(tpl)["port"] = panelPort }), "xraySetting.inbounds"},
			{"template inbound on an inbound's port", mut(func(tpl map[string]any) {
				tpl["inbounds"] = append(tpl["inbounds"].([]any), map[string]any{"tag": "extra", "port": s.inPort, "protocol": "socks", "listen": "127.0.0.1"})
			}), "xraySetting.inbounds"},
			{"api on 0.0.0.0", mut(func(tpl map[string]any) { apiIn(tpl)["listen"] = "0.0.0.0" }), "xraySetting.inbounds"},
			{"no api inbound", mut(func(tpl map[string]any) { tpl["inbounds"] = []any{} }), "xraySetting.inbounds"},
			{"no api section", mut(func(tpl map[string]any) { delete(tpl, "api") }), "xraySetting.api"},
			{"api without HandlerService", mut(func(tpl map[string]any) {
				tpl["api"] = map[string]any{"tag": "api", "services": []string{"StatsService"}}
			}), "xraySetting.api.services"},
			{"access log anywhere", mut(func(tpl map[string]any) { tpl["log"] = map[string]any{"access": "/etc/cron.d/x"} }), "xraySetting.log.access"},
			{"error log escaping the folder", mut(func(tpl map[string]any) {
				tpl["log"] = map[string]any{"error": s.app.Template.LogFolder + "/../x.log"}
			}), "xraySetting.log.error"},
			{"ext geo file", mut(func(tpl map[string]any) {
				r := tpl["routing"].(map[string]any)
				r["rules"] = append(r["rules"].([]any), map[string]any{"type": "field", "outboundTag": "blocked", "domain": []string{"ext:/etc/shadow:x"}})
			}), "xraySetting.routing"},
		}
		for _, tc := range cases {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				s.refused(t, "POST", "setting/updateXrayTemplate", tc.body, 400, tc.field)
			})
		}
		s.env().t = t
		// The unchanged template with a log file inside the folder passes.
		ok := mut(func(tpl map[string]any) {
			tpl["log"] = map[string]any{"loglevel": "warning", "error": filepath.Join(s.app.Template.LogFolder, "error.log")}
		})
		s.c.api("POST", "setting/updateXrayTemplate", ok).expectOK()
	})
}
