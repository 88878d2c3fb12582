package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
	"gorm.io/gorm"
)

// Issue 22 findings 1 and 10 (the Xray exposure rule, see
// docs/security.md): every route that writes the template refuses a
// template that publishes Xray's API or metrics, routes a public inbound
// to the API, forwards to the API port, or logs into a panel file; 400
// naming the field, nothing stored, the existing client still served.
func TestTemplateThatExposesXrayIsRefused(t *testing.T) {
	// Sequential: sets XUI_DB_FOLDER (process-wide).
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		data := t.TempDir()
		t.Setenv("XUI_DB_FOLDER", data)
		s := newServingEnv(t, b)
		cur, err := s.app.Settings.GetXrayConfigTemplate()
		if err != nil {
			t.Fatal(err)
		}
		apiPort := templateAPIPort(t, cur)
		mut := func(f func(tpl map[string]any)) map[string]any {
			var tpl map[string]any
			if err := json.Unmarshal([]byte(cur), &tpl); err != nil {
				t.Fatal(err)
			}
			f(tpl)
			return tpl
		}
		public := fmt.Sprintf("inbound-%d", s.inPort)
		cases := []struct {
			name  string
			tpl   map[string]any
			field string
		}{
			{"api listen public", mut(func(tpl map[string]any) {
				tpl["api"].(map[string]any)["listen"] = fmt.Sprintf("0.0.0.0:%d", xraytest.FreePort(t))
			}), "api.listen"},
			{"metrics listen public", mut(func(tpl map[string]any) {
				tpl["metrics"] = map[string]any{"tag": "metrics", "listen": fmt.Sprintf("0.0.0.0:%d", xraytest.FreePort(t))}
			}), "metrics.listen"},
			{"public inbound routed to api", mut(func(tpl map[string]any) {
				r := tpl["routing"].(map[string]any)
				r["rules"] = append([]any{map[string]any{"type": "field", "inboundTag": []string{public}, "outboundTag": "api"}}, r["rules"].([]any)...)
			}), "routing.rules[0]"},
			{"tunnel forwarding to the api port", mut(func(tpl map[string]any) {
				tpl["inbounds"] = append(tpl["inbounds"].([]any), map[string]any{"tag": "fwd", "listen": "0.0.0.0", "port": xraytest.FreePort(t),
					"protocol": "tunnel", "settings": map[string]any{"address": "127.0.0.1", "port": apiPort, "network": "tcp"}})
			}), "inbounds[fwd].settings.port"},
			{"freedom redirect to the api port", mut(func(tpl map[string]any) {
				tpl["outbounds"] = append(tpl["outbounds"].([]any), map[string]any{"tag": "r", "protocol": "freedom",
					"settings": map[string]any{"redirect": fmt.Sprintf("127.0.0.1:%d", apiPort)}})
			}), "outbounds[2]"},
		}
		// Logs live in the data folder: x-ui.json is inside the log folder
		// but still the panel's own file.
		s.app.Template.LogFolder = data
		cases = append(cases, struct {
			name  string
			tpl   map[string]any
			field string
		}{"access log into x-ui.json", mut(func(tpl map[string]any) {
			tpl["log"] = map[string]any{"access": config.GetSettingPath()}
		}), "log.access"})
		for _, tc := range cases {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				s.refused(t, "POST", "setting/updateXrayTemplate", map[string]any{"xraySetting": tc.tpl}, 400, "xraySetting."+tc.field)
				s.refused(t, "POST", "xray/update", map[string]any{"xraySetting": tc.tpl}, 400, "xraySetting."+tc.field)
				s.refused(t, "POST", "setting/update", map[string]any{"xrayTemplateConfig": mustJSON(tc.tpl)}, 400, "xrayTemplateConfig."+tc.field)
				// v2's route takes the template as a form field.
				before := s.dbState(t)
				s.c.do("POST", "panel/xray/update", url.Values{"xraySetting": {mustJSON(tc.tpl)}}).expectFail(400, "xraySetting."+tc.field)
				if s.dbState(t) != before {
					t.Fatal("panel/xray/update changed the database")
				}
			})
		}
		s.env().t = t
		// 3x-ui's default shape (api inbound on loopback routed to api)
		// with a loopback API listener still saves.
		s.c.api("POST", "xray/update", map[string]any{"xraySetting": mut(func(tpl map[string]any) {
			tpl["api"].(map[string]any)["listen"] = fmt.Sprintf("127.0.0.1:%d", xraytest.FreePort(t))
		})}).expectOK()
		s.mustMoveBytes(t)
	})
}

// Issue 22 findings 1 and 2: a VLESS fallback may not lead to the API
// port or to a unix socket outside the socket folder (a docker.sock
// look-alike here); a socket inside the folder is accepted.
func TestFallbackThatExposesALocalServiceIsRefused(t *testing.T) {
	// Sequential: sets XUI_SOCKET_FOLDER (process-wide).
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		sockets := t.TempDir()
		t.Setenv("XUI_SOCKET_FOLDER", sockets)
		s := newServingEnv(t, b)
		cur, err := s.app.Settings.GetXrayConfigTemplate()
		if err != nil {
			t.Fatal(err)
		}
		apiPort := templateAPIPort(t, cur)
		elsewhere := filepath.Join(t.TempDir(), "docker.sock")
		l, err := net.Listen("unix", elsewhere)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		withFallback := func(port int, dest any) map[string]any {
			body := vlessInbound(port, vlessClient(fmt.Sprintf("fb%d@x", port)))
			var st map[string]any
			_ = json.Unmarshal([]byte(body["settings"].(string)), &st)
			st["fallbacks"] = []any{map[string]any{"dest": dest}}
			body["settings"] = mustJSON(st)
			return body
		}
		for name, dest := range map[string]any{
			"api port":            apiPort,
			"api host:port":       fmt.Sprintf("127.0.0.1:%d", apiPort),
			"socket elsewhere":    elsewhere,
			"abstract socket":     "@docker",
			"private network tcp": "10.231.0.1:3306",
		} {
			t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
				s.refused(t, "POST", "inbounds/add", withFallback(xraytest.FreePort(t), dest), 400, "settings.fallbacks[0].dest")
				s.refused(t, "POST", "inbounds/update/"+s.inID, withFallback(s.inPort, dest), 400, "settings.fallbacks[0].dest")
			})
		}
		s.env().t = t
		s.mustMoveBytes(t)
		// Allowed: a socket in the folder. Plain HTTP to the VLESS port
		// falls back to it and gets its answer through Xray.
		allowed := filepath.Join(sockets, "web.sock")
		web, err := net.Listen("unix", allowed)
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "fallback-ok") })}
		go func() { _ = srv.Serve(web) }()
		defer srv.Close()
		port := xraytest.FreePort(t)
		s.c.api("POST", "inbounds/add", withFallback(port, allowed)).expectOK()
		var body string
		if !xraytest.Eventually(10*time.Second, func() bool {
			r, err := (&http.Client{Timeout: 2 * time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
			if err != nil {
				return false
			}
			defer r.Body.Close()
			b, _ := io.ReadAll(r.Body)
			body = string(b)
			return body == "fallback-ok"
		}) {
			t.Fatalf("fallback to the allowed socket answered %q; logs=%v", body, s.app.Xray.Logs(5))
		}
		s.mustMoveBytes(t)
	})
}

// Rows carried over from 3x-ui may break the rule: the stored template is
// kept, but Xray runs it without the exposed part (here a public API
// listener), and clients are still served.
func TestStoredExposedTemplateRunsNeutralized(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		s := newServingEnv(t, b)
		cur, err := s.app.Settings.GetXrayConfigTemplate()
		if err != nil {
			t.Fatal(err)
		}
		var tpl map[string]any
		if err := json.Unmarshal([]byte(cur), &tpl); err != nil {
			t.Fatal(err)
		}
		exposed := xraytest.FreePort(t)
		tpl["api"].(map[string]any)["listen"] = fmt.Sprintf("0.0.0.0:%d", exposed)
		// Written as a 3x-ui upgrade would leave it: no API check.
		if err := s.app.Settings.SetXrayConfigTemplate(mustJSON(tpl)); err != nil {
			t.Fatal(err)
		}
		if err := s.app.Xray.RestartXray(true); err != nil {
			t.Fatal(err)
		}
		s.mustMoveBytes(t)
		if api := string(s.app.Xray.Process().Config().API); strings.Contains(api, "listen") {
			t.Fatalf("Xray runs the exposed API listener: %s", api)
		}
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", exposed), time.Second); err == nil {
			c.Close()
			t.Fatalf("port %d answers: the exposed API listener runs", exposed)
		}
	})
}

func templateAPIPort(t *testing.T, tpl string) int {
	t.Helper()
	var doc struct {
		Inbounds []struct {
			Tag  string `json:"tag"`
			Port int    `json:"port"`
		} `json:"inbounds"`
	}
	if err := json.Unmarshal([]byte(tpl), &doc); err != nil {
		t.Fatal(err)
	}
	for _, in := range doc.Inbounds {
		if in.Tag == "api" {
			return in.Port
		}
	}
	t.Fatal("no api inbound in the template")
	return 0
}

// A backup carries a template and inbounds: one that breaks the exposure
// rule is refused whole (400, nothing imported, the client still served).
func TestImportThatExposesXrayIsRefused(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		s := newServingEnv(t, b)
		fallback := backupInbound(xraytest.FreePort(t), `{"network":"tcp","security":"none"}`)
		fallback.Settings = mustJSON(map[string]any{"decryption": "none",
			"clients":   []any{map[string]any{"id": newTestUUID(), "email": "imp@x", "enable": true}},
			"fallbacks": []any{map[string]any{"dest": templateAPIPort(t, settings.DefaultXrayTemplate)}}})
		var tpl map[string]any
		if err := json.Unmarshal([]byte(settings.DefaultXrayTemplate), &tpl); err != nil {
			t.Fatal(err)
		}
		tpl["api"].(map[string]any)["listen"] = fmt.Sprintf("0.0.0.0:%d", xraytest.FreePort(t))
		good := backupInbound(xraytest.FreePort(t), `{"network":"tcp","security":"none"}`)
		for name, tc := range map[string]struct {
			data []byte
			want string
		}{
			"fallback to the api port": {backupFile(t, []model.Inbound{fallback}, nil), "fallbacks[0].dest"},
			"public api listen": {backupFile(t, []model.Inbound{good}, func(conn *gorm.DB) {
				if err := conn.Create(&model.Setting{Key: "xrayTemplateConfig", Value: mustJSON(tpl)}).Error; err != nil {
					t.Fatal(err)
				}
			}), "api.listen"},
		} {
			t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
				before := s.dbState(t)
				s.env().t = t
				up := multipartBody(t, "db", tc.data)
				s.c.apiRaw("POST", "server/importDB", up.body, up.ctype).expectFail(400, tc.want)
				if s.dbState(t) != before {
					t.Fatal("refused import changed the database")
				}
				s.mustMoveBytes(t)
			})
		}
	})
}
