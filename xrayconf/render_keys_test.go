package xrayconf

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// Xray reads an inbound's clients from any key that folds to "clients"
// ("Clients", "client\u0073", "clientſ"): the renderer must filter that
// array, or a disabled or depleted client is served. Checked with the
// real binary: the enabled client moves bytes, the others do not.
func TestDisabledClientsUnderAnyClientsSpellingAreNotServed(t *testing.T) {
	payload := xraytest.StartPayloadServer(t, "")
	on, off, depleted := xraytest.NewUUID(), xraytest.NewUUID(), xraytest.NewUUID()
	list := fmt.Sprintf(`[{"id":%q,"email":"on@x","enable":true},{"id":%q,"email":"off@x","enable":false},{"id":%q,"email":"depleted@x","enable":true}]`, on, off, depleted)
	for _, key := range []string{"Clients", `client\u0073`, "clientſ", "CLIENTS"} {
		t.Run(key, func(t *testing.T) {
			port := xraytest.FreePort(t)
			in := &model.Inbound{Id: 1, Enable: true, Port: port, Protocol: model.VLESS, Tag: "in", Listen: "127.0.0.1",
				Settings:       `{"decryption":"none","` + key + `":` + list + `}`,
				StreamSettings: `{"network":"tcp","security":"none"}`,
				ClientStats:    []xray.ClientTraffic{{Email: "on@x", Enable: true}, {Email: "depleted@x", Enable: false}}}
			ic, err := RenderInbound(in)
			if err != nil || ic == nil {
				t.Fatalf("RenderInbound = %v, %v", ic, err)
			}
			var settings map[string]json.RawMessage
			if err := json.Unmarshal(ic.Settings, &settings); err != nil {
				t.Fatal(err)
			}
			var served []map[string]any
			_ = json.Unmarshal(settings["clients"], &served)
			if len(settings) != 2 || len(served) != 1 || served[0]["id"] != on {
				// Go on: Xray shows what such a config serves.
				t.Errorf("rendered settings = %s, want \"clients\" holding only the enabled client", ic.Settings)
			}
			p := xray.NewProcess(xray.ProcessOptions{BinaryPath: xraytest.Binary(t), ConfigPath: filepath.Join(t.TempDir(), "config.json")})
			t.Cleanup(func() { _ = p.Stop() })
			if err := p.Start(xraytest.ServerConfig(xraytest.FreePort(t), *ic)); err != nil {
				t.Fatalf("start Xray: %v", err)
			}
			for id, want := range map[string]bool{on: true, off: false, depleted: false} {
				socks, stop := xraytest.StartClient(t, xraytest.VLESSOutbound(port, id, ""), "")
				n, err := xraytest.Download(socks, payload+"/bytes?n=1000")
				stop()
				if got := err == nil && n == 1000; got != want {
					t.Errorf("client %s served = %v (n=%d, err=%v), want %v", id, got, n, err, want)
				}
			}
		})
	}
}

// The Shadowsocks-2022 guard (an inbound left without clients must not
// run as a single-user server) reads the method Xray reads: "Method".
func TestSS2022WithoutClientsUnderAnyMethodSpellingDoesNotRun(t *testing.T) {
	for _, key := range []string{"method", "Method", `m\u0065thod`} {
		in := &model.Inbound{Id: 1, Enable: true, Port: 443, Protocol: model.Shadowsocks, Tag: "ss",
			Settings: `{"` + key + `":"2022-blake3-aes-128-gcm","password":"AAAAAAAAAAAAAAAAAAAAAA==","network":"tcp","clients":[{"password":"BBBBBBBBBBBBBBBBBBBBBB==","email":"off@x","enable":false}]}`}
		ic, err := RenderInbound(in)
		if err != nil || ic != nil {
			t.Errorf("%s: RenderInbound = %v, %v; want nothing to run", strings.ReplaceAll(key, `\`, `\\`), ic, err)
		}
	}
}
