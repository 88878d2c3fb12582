package exposure_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xrayconf"
	"github.com/mhsanaei/3x-ui/v2/xrayconf/exposure"
)

// render is the default template (API inbound 127.0.0.1:62789, rule
// api -> api) with edit applied to its JSON object, plus inbounds.
func render(t *testing.T, edit func(tpl map[string]any), inbounds ...*model.Inbound) *xray.Config {
	t.Helper()
	tpl := map[string]any{}
	if err := json.Unmarshal([]byte(settings.DefaultXrayTemplate), &tpl); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(tpl)
	}
	raw, _ := json.Marshal(tpl)
	cfg, err := xrayconf.Render(string(raw), inbounds)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func options(t *testing.T) exposure.Options {
	t.Helper()
	root := t.TempDir()
	o := exposure.Options{
		LogFolder:    filepath.Join(root, "log"),
		SocketFolder: filepath.Join(root, "sockets"),
		PanelFolders: []string{filepath.Join(root, "db"), filepath.Join(root, "bin")},
	}
	o.PanelFiles = []string{filepath.Join(o.PanelFolders[0], "x-ui.json"), filepath.Join(o.PanelFolders[0], "x-ui.db")}
	for _, d := range append([]string{o.LogFolder, o.SocketFolder}, o.PanelFolders...) {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

func vless(tag string, port int, fallbacks ...any) *model.Inbound {
	settings := map[string]any{"decryption": "none", "clients": []any{map[string]any{"id": "6f9d1c4e-0000-4000-8000-000000000001", "email": "a@x", "enable": true}}}
	if len(fallbacks) > 0 {
		list := []any{}
		for _, d := range fallbacks {
			list = append(list, map[string]any{"dest": d})
		}
		settings["fallbacks"] = list
	}
	raw, _ := json.Marshal(settings)
	return &model.Inbound{Id: port, Enable: true, Tag: tag, Port: port, Protocol: model.VLESS, Listen: "0.0.0.0", Settings: string(raw)}
}

// expectOne asserts exactly one violation at path, and that the
// neutralized config passes the rule.
func expectOne(t *testing.T, cfg *xray.Config, o exposure.Options, path string) {
	t.Helper()
	safe, found := exposure.Scan(cfg, o)
	if len(found) != 1 || found[0].Path() != path {
		t.Fatalf("violations = %v, want one at %s", found, path)
	}
	if again := exposure.Check(safe, o); len(again) != 0 {
		t.Fatalf("neutralized config still breaks the rule: %v", again)
	}
}

func TestDefaultTemplatePassesTheRule(t *testing.T) {
	o := options(t)
	cfg := render(t, nil, vless("inbound-443", 443, 8080, "127.0.0.1:8081"))
	if found := exposure.Check(cfg, o); len(found) != 0 {
		t.Fatalf("the 3x-ui default template must pass: %v", found)
	}
}

func TestPublicAPIAndMetricsListenAreViolations(t *testing.T) {
	o := options(t)
	expectOne(t, render(t, func(tpl map[string]any) {
		tpl["api"].(map[string]any)["listen"] = "0.0.0.0:10085"
	}), o, "api.listen")
	expectOne(t, render(t, func(tpl map[string]any) {
		tpl["metrics"] = map[string]any{"tag": "metrics", "listen": "[::]:11111"}
	}), o, "metrics.listen")
	if found := exposure.Check(render(t, func(tpl map[string]any) {
		tpl["api"].(map[string]any)["listen"] = "127.0.0.1:10085"
		tpl["metrics"] = map[string]any{"tag": "metrics", "listen": "localhost:11111"}
	}), o); len(found) != 0 {
		t.Fatalf("loopback listeners are fine: %v", found)
	}
}

func TestRoutingFromAPublicInboundToAPIIsAViolation(t *testing.T) {
	o := options(t)
	addRule := func(rule map[string]any) func(map[string]any) {
		return func(tpl map[string]any) {
			r := tpl["routing"].(map[string]any)
			r["rules"] = append([]any{rule}, r["rules"].([]any)...)
		}
	}
	pub := vless("inbound-443", 443)
	expectOne(t, render(t, addRule(map[string]any{"type": "field", "inboundTag": []any{"inbound-443"}, "outboundTag": "api"}), pub), o, "routing.rules[0]")
	expectOne(t, render(t, addRule(map[string]any{"type": "field", "port": "0-65535", "outboundTag": "api"}), pub), o, "routing.rules[0]")
	expectOne(t, render(t, func(tpl map[string]any) {
		tpl["routing"].(map[string]any)["balancers"] = []any{map[string]any{"tag": "b", "selector": []any{"ap", "direct"}}}
	}), o, "routing.balancers[0].selector")
}

func TestForwardsToTheAPIPortAreViolations(t *testing.T) {
	o := options(t)
	fwd := &model.Inbound{Id: 9, Enable: true, Tag: "fwd", Port: 9000, Protocol: "tunnel",
		Settings: `{"address":"127.0.0.1","port":62789,"network":"tcp"}`}
	expectOne(t, render(t, nil, fwd), o, "inbounds[fwd].settings.port")
	expectOne(t, render(t, func(tpl map[string]any) {
		tpl["outbounds"] = append(tpl["outbounds"].([]any), map[string]any{"tag": "r", "protocol": "freedom", "settings": map[string]any{"redirect": "127.0.0.1:62789"}})
	}), o, "outbounds[2]")
	expectOne(t, render(t, func(tpl map[string]any) {
		tpl["outbounds"] = append(tpl["outbounds"].([]any), map[string]any{"tag": "l", "protocol": "loopback", "settings": map[string]any{"inboundTag": "api"}})
	}), o, "outbounds[2]")
}

func TestFallbackDestinations(t *testing.T) {
	o := options(t)
	// The API port, in every spelling, and a non-loopback host.
	for _, dest := range []any{62789, "62789", "127.0.0.1:62789", "10.0.0.5:80", "@docker"} {
		expectOne(t, render(t, nil, vless("inbound-443", 443, dest)), o, "inbounds[inbound-443].settings.fallbacks[0].dest")
	}
	// A socket outside the folder (a docker.sock look-alike), and one that
	// sits in the folder but is a symlink out of it.
	outside := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", outside)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	expectOne(t, render(t, nil, vless("inbound-443", 443, outside)), o, "inbounds[inbound-443].settings.fallbacks[0].dest")
	link := filepath.Join(o.SocketFolder, "web.sock")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	expectOne(t, render(t, nil, vless("inbound-443", 443, link)), o, "inbounds[inbound-443].settings.fallbacks[0].dest")
	// Allowed: a socket in the folder, and Xray's own abstract listener.
	allowed := filepath.Join(o.SocketFolder, "nginx.sock")
	ws := &model.Inbound{Id: 7, Enable: true, Tag: "ws", Port: 0, Listen: "@vless-ws", Protocol: model.VLESS, Settings: `{"clients":[],"decryption":"none"}`}
	if found := exposure.Check(render(t, nil, vless("inbound-443", 443, allowed, "@vless-ws"), ws), o); len(found) != 0 {
		t.Fatalf("allowed fallbacks refused: %v", found)
	}
	// Without a socket folder, path sockets are refused.
	o.SocketFolder = ""
	expectOne(t, render(t, nil, vless("inbound-443", 443, allowed)), o, "inbounds[inbound-443].settings.fallbacks[0].dest")
}

func TestLogPaths(t *testing.T) {
	o := options(t)
	setLog := func(name, path string) func(map[string]any) {
		return func(tpl map[string]any) { tpl["log"].(map[string]any)[name] = path }
	}
	for name, path := range map[string]string{
		"access":  o.PanelFiles[0],                             // x-ui.json
		"error":   filepath.Join(o.LogFolder, "x-ui.log"),      // the panel's log
		"access ": filepath.Join(o.LogFolder, "../db/x-ui.db"), // escapes the folder
	} {
		name = strings.TrimSpace(name)
		expectOne(t, render(t, setLog(name, path)), o, "log."+name)
	}
	// The log folder is the data folder: every file there is the panel's.
	o.LogFolder = o.PanelFolders[0]
	expectOne(t, render(t, setLog("access", filepath.Join(o.LogFolder, "access.log"))), o, "log.access")
	o = options(t)
	for _, ok := range []string{"", "none", filepath.Join(o.LogFolder, "access.log")} {
		if found := exposure.Check(render(t, setLog("access", ok)), o); len(found) != 0 {
			t.Fatalf("log.access %q refused: %v", ok, found)
		}
	}
}
