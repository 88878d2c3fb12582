package exposure_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
	"github.com/mhsanaei/3x-ui/v2/xrayconf/exposure"
)

// Xray decodes its config with encoding/json into structs, which match
// keys case-insensitively (Unicode folding: U+017F is s, U+212A is k) and
// decode \u escapes; of two keys for one field the last wins. These tests
// run the real binary on each spelling to show Xray acts on it, and check
// that the rule sees what Xray runs and that the neutralized copy no
// longer leads to the API.

func startXray(t *testing.T, cfg *xray.Config) *xray.Process {
	t.Helper()
	p := xray.NewProcess(xray.ProcessOptions{
		BinaryPath: xraytest.Binary(t),
		ConfigPath: filepath.Join(t.TempDir(), "bin", "config.json"),
	})
	t.Cleanup(func() { _ = p.Stop() })
	if err := p.Start(cfg); err != nil {
		t.Fatalf("Xray refused the config: %v\n%v", err, p.LastLogs(20))
	}
	return p
}

// apiAnswersAt reports whether Xray's gRPC API (no authentication)
// answers at addr: the stats query that dumps every client's counters.
func apiAnswersAt(addr string) bool {
	c := xray.NewAPIClient(addr)
	defer c.Close()
	_, _, err := c.QueryTraffic(false)
	return err == nil
}

// exposedThrough asserts, with the real binary, that cfg serves the API
// at addr as written and not once neutralized, and that the rule names
// path.
func exposedThrough(t *testing.T, cfg *xray.Config, addr, path string) {
	t.Helper()
	safe, found := exposure.Scan(cfg, options(t))
	hit := false
	for _, v := range found {
		hit = hit || v.Path() == path
	}
	if !hit {
		t.Errorf("the rule misses %s: violations = %v", path, found)
	}
	p := startXray(t, cfg)
	if !apiAnswersAt(addr) {
		t.Fatalf("as written, Xray does not serve its API at %s: the spelling is not what this test claims; logs:\n%v", addr, p.LastLogs(20))
	}
	_ = p.Stop()
	p = startXray(t, safe)
	if apiAnswersAt(addr) {
		t.Errorf("neutralized, Xray still serves its API at %s", addr)
	}
	_ = p.Stop()
}

func TestXrayReadsFallbacksInAnyKeySpelling(t *testing.T) {
	apiPort := xraytest.FreePort(t)
	client := fmt.Sprintf(`"clients":[{"id":%q}],"decryption":"none"`, xraytest.NewUUID())
	for name, fallbacks := range map[string]string{
		"Fallbacks":                   `"Fallbacks":[{"dest":%d}]`,
		"Dest":                        `"fallbacks":[{"Dest":%d}]`,
		"escaped s":                   `"fallback\u0073":[{"de\u0073t":%d}]`,
		"long s U+017F":               `"fallbackſ":[{"deſt":%d}]`,
		"Kelvin sign U+212A":          `"fallbac` + "\u212a" + `s":[{"dest":%d}]`,
		"second dest wins":            `"fallbacks":[{"dest":8080,"DEST":%d}]`,
		"second fallbacks array wins": `"fallbacks":[{"dest":8080}],"FALLBACKS":[{"dest":%d}]`,
	} {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			port := xraytest.FreePort(t)
			settings := json.RawMessage("{" + client + "," + fmt.Sprintf(fallbacks, apiPort) + "}")
			cfg := xraytest.ServerConfig(apiPort, xraytest.Inbound("vless", port, "in", settings))
			exposedThrough(t, cfg, fmt.Sprintf("127.0.0.1:%d", port), "inbounds[in].settings.fallbacks[0].dest")
		})
	}
	// The control: a key that folds to no field is ignored by Xray, so
	// the API does not answer through the inbound (the probe is not
	// trivially true).
	port := xraytest.FreePort(t)
	settings := json.RawMessage("{" + client + "," + fmt.Sprintf(`"fallbackz":[{"dest":%d}]`, apiPort) + "}")
	p := startXray(t, xraytest.ServerConfig(apiPort, xraytest.Inbound("vless", port, "in", settings)))
	if !apiAnswersAt(fmt.Sprintf("127.0.0.1:%d", apiPort)) {
		t.Fatalf("the API does not answer on its own port; logs:\n%v", p.LastLogs(20))
	}
	if apiAnswersAt(fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Fatal("the API answers through an inbound without fallbacks: the probe proves nothing")
	}
}

func TestXrayLowerCasesTheProtocol(t *testing.T) {
	apiPort := xraytest.FreePort(t)
	port := xraytest.FreePort(t)
	fwd := xraytest.Inbound("TUNNEL", port, "fwd", map[string]any{"address": "127.0.0.1", "Port": apiPort, "network": "tcp"})
	exposedThrough(t, xraytest.ServerConfig(apiPort, fwd), fmt.Sprintf("127.0.0.1:%d", port), "inbounds[fwd].settings.port")
}

// Xray's own API listener: "Listen" is its listen address. A public one
// is what the rule refuses; the real binary is only run on loopback.
func TestXrayReadsTheAPIListenInAnyCase(t *testing.T) {
	apiPort := xraytest.FreePort(t)
	listen := xraytest.FreePort(t)
	cfg := xraytest.ServerConfig(apiPort)
	cfg.API = json.RawMessage(fmt.Sprintf(`{"tag":"api","services":["StatsService"],"LISTEN":"127.0.0.1:%d"}`, listen))
	p := startXray(t, cfg)
	if !apiAnswersAt(fmt.Sprintf("127.0.0.1:%d", listen)) {
		t.Fatalf("Xray ignored \"LISTEN\"; logs:\n%v", p.LastLogs(20))
	}
	o := options(t)
	for _, key := range []string{"Listen", "liſten", `li\u0073ten`} {
		cfg.API = json.RawMessage(fmt.Sprintf(`{"tag":"api","%s":"0.0.0.0:%d"}`, key, listen))
		expectOne(t, cfg, o, "api.listen")
	}
}

// Xray appends to the file its log config names under any spelling.
func TestXrayReadsTheLogPathInAnyCase(t *testing.T) {
	o := options(t)
	outside := filepath.Join(t.TempDir(), "written-by-xray.log")
	cfg := xraytest.ServerConfig(xraytest.FreePort(t))
	cfg.LogConfig = json.RawMessage(fmt.Sprintf(`{"loglevel":"warning","Access":%q}`, outside))
	startXray(t, cfg)
	if _, err := os.Stat(outside); err != nil {
		t.Fatalf("Xray did not open the \"Access\" log %s: %v", outside, err)
	}
	for _, key := range []string{"Access", "ERROR", `acce\u0073s`} {
		cfg.LogConfig = json.RawMessage(fmt.Sprintf(`{"%s":%q}`, key, outside))
		name := "log.access"
		if key == "ERROR" {
			name = "log.error"
		}
		expectOne(t, cfg, o, name)
	}
}

// The template's routing and outbounds, read the way Xray reads them.
func TestRoutingAndOutboundKeysInAnyCase(t *testing.T) {
	o := options(t)
	pub := vless("inbound-443", 443)
	for _, rule := range []string{
		`{"type":"field","InboundTag":["inbound-443"],"outboundTag":"api"}`,
		`{"type":"field","inboundTag":["inbound-443"],"OutboundTag":"api"}`,
		// The last of two keys for one field is the one Xray keeps.
		`{"type":"field","inboundTag":["inbound-443"],"outboundTag":"direct","OUTBOUNDTAG":"api"}`,
		// Xray splits a string list at commas: this names two inbounds.
		`{"type":"field","inboundTag":"api,inbound-443","outboundTag":"api"}`,
	} {
		cfg := render(t, func(tpl map[string]any) {
			r := tpl["routing"].(map[string]any)
			r["rules"] = append([]any{json.RawMessage(rule)}, r["rules"].([]any)...)
		}, pub)
		expectOne(t, cfg, o, "routing.rules[0]")
	}
	for _, sel := range []string{`"Selector":["ap"]`, `"selector":"direct,api"`} {
		cfg := render(t, func(tpl map[string]any) {
			tpl["routing"].(map[string]any)["balancers"] = []any{json.RawMessage(`{"tag":"b",` + sel + `}`)}
		})
		expectOne(t, cfg, o, "routing.balancers[0].selector")
	}
	// The lists themselves under another spelling; the neutralized copy
	// keeps one canonical key (expectOne checks it passes).
	for raw, path := range map[string]string{
		`{"Rules":[{"type":"field","inboundTag":["inbound-443"],"outboundTag":"api"}]}`: "routing.rules[0]",
		`{"rules":[],"BALANCERS":[{"tag":"b","selector":["api"]}]}`:                     "routing.balancers[0].selector",
	} {
		cfg := render(t, func(tpl map[string]any) { tpl["routing"] = json.RawMessage(raw) }, pub)
		expectOne(t, cfg, o, path)
	}
	for _, ob := range []string{
		`{"tag":"r","Protocol":"Freedom","Settings":{"Redirect":"127.0.0.1:62789"}}`,
		`{"tag":"l","protocol":"LOOPBACK","settings":{"inbound\u0054ag":"api"}}`,
	} {
		cfg := render(t, func(tpl map[string]any) {
			tpl["outbounds"] = append(tpl["outbounds"].([]any), json.RawMessage(ob))
		})
		expectOne(t, cfg, o, "outbounds[2]")
	}
}

// Check (every write, import and snapshot) refuses an object with two
// keys Xray reads as one field, wherever it is; Scan alone (the run-time
// neutralizer) does not need to, it reads what Xray reads.
func TestTwoKeysForOneFieldAreRefused(t *testing.T) {
	o := options(t)
	in := vless("inbound-443", 443)
	in.StreamSettings = `{"network":"tcp","Network":"ws"}`
	found := exposure.Check(render(t, nil, in), o)
	if len(found) != 1 || found[0].Path() != "inbounds[inbound-443].streamSettings.network" {
		t.Fatalf("violations = %v, want one at inbounds[inbound-443].streamSettings.network (the renderer sorts the keys)", found)
	}
	found = exposure.Check(render(t, func(tpl map[string]any) {
		tpl["policy"] = json.RawMessage(`{"levels":{"0":{"handshake":4,"HANDSHAKE":8}}}`)
	}), o)
	if len(found) != 1 || found[0].Path() != "policy.levels.0.HANDSHAKE" {
		t.Fatalf("violations = %v, want one at policy.levels.0.HANDSHAKE", found)
	}
}
