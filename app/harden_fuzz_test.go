package app

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
	"gorm.io/gorm"
)

// nastyValues are what the generated bodies put into fields.
var nastyValues = []any{
	"", "evil", "\x00", "a\x00b", strings.Repeat("x", 70000), "/etc/passwd", "@abstract", "0.0.0.0", "::", "localhost",
	"xtls-rprx-vision-udp443", "xtls-rprx-vision", "2022-blake3-aes-128-gcm", "rc4-md5", "none", "tls", "reality",
	"h2", "quic", "ws", "kcp", "ext:geo.dat:x", "{", "[]", "{}", "null", `{"network":"evil"}`, `{"clients":[{}]}`,
	-1, 0, 1, 65535, 65536, 70000, 9223372036854775807, -9223372036854775808, 1.5, 1e300, true, false, nil,
	[]any{}, []any{1, "a"}, map[string]any{}, map[string]any{"a": map[string]any{"b": []any{nil}}},
	"ü\u202e\ufeff", "<script>alert(1)</script>", "' OR 1=1 --",
}

func nasty(r *rand.Rand) any { return nastyValues[r.Intn(len(nastyValues))] }

// TestFuzzWritesNeverBreakXray is issue 10's bounded fuzz: 300 generated
// bodies over inbound add/update, client add/update, template and import
// (fixed seed, so a failure replays). Every answer is < 500 and not a
// panic; after every refused request the database dump is unchanged; after
// every request the existing client still moves bytes through Xray.
func TestFuzzWritesNeverBreakXray(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel() // the longest test: its two backends share nothing either
		s := newServingEnv(t, b)
		r := rand.New(rand.NewSource(10))
		tpl, err := s.app.Settings.GetXrayConfigTemplate()
		if err != nil {
			t.Fatal(err)
		}
		inboundKeys := []string{"remark", "enable", "listen", "port", "protocol", "settings", "streamSettings", "sniffing", "tag", "total", "expiryTime", "up"}
		clientKeys := []string{"id", "email", "flow", "password", "method", "security", "level", "totalGB", "expiryTime", "limitIp", "subId", "comment", "reset", "enable", "tgId"}
		streamKeys := []string{"network", "security", "tlsSettings", "realitySettings", "wsSettings", "sockopt"}
		mutClient := func() map[string]any {
			c := vlessClient(fmt.Sprintf("fz%d@x", r.Intn(1e6)))
			for k := r.Intn(3) + 1; k > 0; k-- {
				c[clientKeys[r.Intn(len(clientKeys))]] = nasty(r)
			}
			return c
		}
		mutInbound := func(port int) map[string]any {
			m := vlessInbound(port, vlessClient(fmt.Sprintf("fi%d@x", r.Intn(1e6))))
			switch r.Intn(3) {
			case 0:
				m[inboundKeys[r.Intn(len(inboundKeys))]] = nasty(r)
			case 1:
				st := map[string]any{"network": "tcp"}
				st[streamKeys[r.Intn(len(streamKeys))]] = nasty(r)
				m["streamSettings"] = mustJSON(st)
			default:
				m["settings"] = mustJSON(map[string]any{"clients": []any{mutClient()}, "decryption": "none"})
			}
			return m
		}
		mutTemplate := func() map[string]any {
			var doc map[string]any
			_ = json.Unmarshal([]byte(tpl), &doc)
			sections := []string{"log", "api", "inbounds", "outbounds", "routing", "policy", "stats", "dns"}
			sec := sections[r.Intn(len(sections))]
			if r.Intn(2) == 0 {
				doc[sec] = nasty(r)
			} else if m, ok := doc[sec].(map[string]any); ok {
				keys := []string{"access", "error", "tag", "services", "rules", "domainStrategy", "loglevel"}
				m[keys[r.Intn(len(keys))]] = nasty(r)
			} else if l, ok := doc[sec].([]any); ok && len(l) > 0 {
				if m, ok := l[0].(map[string]any); ok {
					keys := []string{"port", "listen", "protocol", "tag", "settings"}
					m[keys[r.Intn(len(keys))]] = nasty(r)
				}
			}
			return map[string]any{"xraySetting": doc}
		}
		// Updates and client writes go to a second inbound, so an accepted
		// write never legitimately removes the client that proves Xray serves.
		target := s.c.api("POST", "inbounds/add", vlessInbound(xraytest.FreePort(t), vlessClient("target@x"))).expectOK()
		targetID := itoa(int(target.obj()["id"].(float64)))
		targetPort := int(target.obj()["port"].(float64))
		var existing model.Inbound
		if err := s.db.Current().First(&existing, atoi(s.inID)).Error; err != nil {
			t.Fatal(err)
		}
		existing.ClientStats = nil
		counts := map[string]int{}
		const total = 300
		for i := 0; i < total; i++ {
			var method, path string
			var body any
			var upload *upload
			switch k := r.Intn(10); {
			case k < 4:
				method, path, body = "POST", "inbounds/add", mutInbound(xraytest.FreePort(t))
			case k < 5:
				method, path, body = "POST", "inbounds/update/"+targetID, mutInbound(targetPort)
			case k < 7:
				method, path = "POST", "inbounds/addClient"
				body = map[string]any{"id": atoi(targetID), "settings": mustJSON(map[string]any{"clients": []any{mutClient()}})}
			case k < 9:
				method, path, body = "POST", "setting/updateXrayTemplate", mutTemplate()
			default:
				method, path = "POST", "server/importDB"
				in := backupInbound(xraytest.FreePort(t), `{"network":"tcp"}`)
				raw := mutInbound(in.Port)
				if data, err := json.Marshal(raw); err == nil {
					var m model.Inbound
					if json.Unmarshal(data, &m) == nil {
						in.Settings, in.StreamSettings, in.Listen, in.Remark = m.Settings, m.StreamSettings, m.Listen, m.Remark
					}
				}
				// The backup keeps the serving inbound, as a real one would.
				// And this node's template (the default one blocks loopback).
				u := multipartBody(t, "db", backupFile(t, []model.Inbound{existing, in}, func(conn *gorm.DB) {
					conn.Create(&model.Setting{Key: "xrayTemplateConfig", Value: tpl})
				}))
				upload = &u
			}
			before := s.dbState(t)
			var res *resp
			if upload != nil {
				res = s.c.apiRaw(method, path, upload.body, upload.ctype)
			} else {
				res = s.c.api(method, path, body)
			}
			if res.Code >= 500 || res.Code == 0 {
				t.Fatalf("request %d %s: HTTP %d %s\nbody: %.500v", i, path, res.Code, res.Raw, body)
			}
			if res.Code == 200 && res.Msg.Success {
				counts[path+" ok"]++
				switch path {
				case "server/importDB":
					s.relogin(t)
				case "setting/updateXrayTemplate":
					// Back to the known template, so later requests start from it.
					s.c.api("POST", path, map[string]any{"xraySetting": json.RawMessage(tpl)}).expectOK()
				}
			} else {
				counts[path+" refused"]++
				if after := s.dbState(t); after != before {
					t.Fatalf("request %d %s refused (%d %s) but changed the database\nbody: %.500v", i, path, res.Code, res.Msg.Msg, body)
				}
			}
			if !s.movesBytes() {
				t.Fatalf("after request %d %s (HTTP %d %s) the existing client moves no bytes\nbody: %.800v", i, path, res.Code, res.Msg.Msg, body)
			}
		}
		t.Logf("%d generated requests: %v", total, counts)
	})
}

func (s *servingEnv) movesBytes() bool {
	return xraytest.Eventually(10*time.Second, func() bool {
		n, err := xraytest.DownloadWithin(s.socks, s.payload+"/bytes?n=65536", 5*time.Second)
		return err == nil && n == 65536
	})
}

// relogin: an imported backup brings its own session secret and users.
func (s *servingEnv) relogin(t *testing.T) {
	s.c = s.env().loggedIn()
}
