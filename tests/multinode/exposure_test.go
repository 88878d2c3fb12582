package multinode

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/web/service"
)

// apiPort is the API inbound's port in testTemplate (on 127.0.0.1 of
// each node's own namespace).
const apiPort = 62789

// TestXrayAPIStaysPrivateAcrossNodes is issue 22 findings 1, 2 and 9 on
// real panels, each node in its own network namespace and the test in
// another: the master refuses every way to publish Xray's API or a local
// socket; rows that break the rule anyway (as a 3x-ui upgrade may leave
// them) run neutralized on the master and are refused by the worker,
// which keeps its last good config; a shared-cache.json edited on the
// worker is refused at boot. Throughout, the API ports and the socket
// stay unreachable from the test's namespace while a VLESS client keeps
// moving bytes through both nodes.
func TestXrayAPIStaysPrivateAcrossNodes(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database and x-ui processes
	s := newServedWorker(t, "keep@expose")
	c, w := s.cluster, s.w
	published := apiPort + 1 // the port a bad template asks the API to listen on

	// A docker.sock look-alike outside any socket folder, answering HTTP.
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	secretAPI := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(rw, "docker-api") })}
	go func() { _ = secretAPI.Serve(l) }()
	t.Cleanup(func() { secretAPI.Close() })

	// 1. The master's API refuses each way in: 400 naming the field.
	tpl := map[string]any{}
	if err := json.Unmarshal(c.api.mustOK(http.MethodGet, "setting/getXrayTemplate", nil).Obj, &tpl); err != nil {
		t.Fatal(err)
	}
	edited := func(f func(map[string]any)) map[string]any {
		var cp map[string]any
		_ = json.Unmarshal([]byte(mustJSON(tpl)), &cp)
		f(cp)
		return map[string]any{"xraySetting": cp}
	}
	refuse := func(path string, body any, field string) {
		t.Helper()
		status, env := c.api.call(http.MethodPost, path, body)
		if status != http.StatusBadRequest || !strings.Contains(env.Msg, field) {
			t.Fatalf("%s: %d %q, want 400 naming %s", path, status, env.Msg, field)
		}
	}
	refuse("xray/update", edited(func(m map[string]any) {
		m["api"].(map[string]any)["listen"] = fmt.Sprintf("0.0.0.0:%d", published)
	}), "xraySetting.api.listen")
	refuse("xray/update", edited(func(m map[string]any) {
		r := m["routing"].(map[string]any)
		r["rules"] = append([]any{map[string]any{"type": "field", "inboundTag": []string{fmt.Sprintf("inbound-%d", inboundPort)}, "outboundTag": "api"}}, r["rules"].([]any)...)
	}), "xraySetting.routing.rules[0]")
	for i, dest := range []any{apiPort, sock} {
		settings, _ := json.Marshal(map[string]any{"clients": []any{vlessClient(fmt.Sprintf("fb%d@expose", i), nil)},
			"decryption": "none", "fallbacks": []any{map[string]any{"dest": dest}}})
		refuse("inbounds/add", map[string]any{"enable": true, "port": inboundPort + 1, "protocol": "vless", "remark": "fb",
			"settings": string(settings), "streamSettings": `{"network":"tcp","security":"none"}`, "sniffing": `{}`}, "settings.fallbacks[0].dest")
	}

	// 2. Rows that break the rule written straight into the database: a
	// public API listener and a fallback to the socket.
	var in model.Inbound
	if err := c.conn.First(&in, s.inboundID).Error; err != nil {
		t.Fatal(err)
	}
	goodSettings := in.Settings
	var st map[string]any
	_ = json.Unmarshal([]byte(in.Settings), &st)
	st["fallbacks"] = []any{map[string]any{"dest": sock}}
	bad := edited(func(m map[string]any) {
		m["api"].(map[string]any)["listen"] = fmt.Sprintf("0.0.0.0:%d", published)
	})["xraySetting"]
	plant := func(template, settings string) int64 {
		t.Helper()
		if err := c.conn.Model(&model.Setting{}).Where("`key` = ?", "xrayTemplateConfig").Update("value", template).Error; err != nil {
			t.Fatal(err)
		}
		if err := c.conn.Model(&model.Inbound{}).Where("id = ?", s.inboundID).Update("settings", settings).Error; err != nil {
			t.Fatal(err)
		}
		if err := database.BumpSharedAccountsVersion(c.conn); err != nil {
			t.Fatal(err)
		}
		v, err := database.GetSharedAccountsVersion(c.conn)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	plant(mustJSON(bad), mustJSON(st))
	var state model.NodeState
	if !waitFor(20*time.Second, func() bool {
		c.conn.Where("node_id = ?", w.name).First(&state)
		return strings.Contains(state.LastError, "api.listen") && strings.Contains(state.LastError, "fallbacks[0].dest")
	}) {
		t.Fatalf("worker did not report the refused snapshot; lastError=%q", state.LastError)
	}
	c.master.stop() // the master renders the stored rows again at start
	c.master.start(c)
	c.api = login(t, c.master.panelURL())
	masterSocks := proxyVia(t, c.master.host, inboundPort, s.base)
	masterPayload := payloadOn(t, c.master.host)
	if !waitFor(15*time.Second, func() bool { return canDownload(masterSocks, masterPayload+"/bytes?n=1024") }) {
		t.Fatal("the master stopped serving its client")
	}
	s.mustBePrivate(t, c.master, published)
	s.mustBePrivate(t, w, published)
	if !canDownload(s.socks, s.payload+"/bytes?n=65536") {
		t.Fatal("the worker stopped serving while refusing the snapshot")
	}

	// 3. Back to good rows; then the worker's cache is edited while its
	// panel is down (Xray stays up: a panel-only restart).
	version := plant(mustJSON(tpl), goodSettings)
	if !waitFor(20*time.Second, func() bool {
		c.conn.Where("node_id = ?", w.name).First(&state)
		return state.LastSeenVersion == version && state.LastError == ""
	}) {
		t.Fatalf("worker did not sync the repaired rows: %+v", state)
	}
	pid := w.xrayPid()
	w.handoff()
	cachePath := filepath.Join(w.dir, "shared-cache.json")
	cached, err := service.LoadSharedAccountsSnapshot(cachePath)
	if err != nil || cached.Seal == "" {
		t.Fatalf("worker cache not sealed: %v", err)
	}
	intruder := vlessClient("intruder@expose", nil)
	for _, ci := range cached.Inbounds {
		if ci.Id == s.inboundID {
			ci.Settings = strings.Replace(ci.Settings, `"clients":[`, `"clients":[`+mustJSON(intruder)+`,`, 1)
		}
	}
	var cachedTpl map[string]any
	if err := json.Unmarshal([]byte(cached.XrayTemplate), &cachedTpl); err != nil {
		t.Fatal(err)
	}
	cachedTpl["api"].(map[string]any)["listen"] = fmt.Sprintf("0.0.0.0:%d", published+1)
	cached.XrayTemplate = mustJSON(cachedTpl)
	if err := service.SaveSharedAccountsSnapshot(cachePath, cached); err != nil {
		t.Fatal(err)
	}
	w.start(c)
	if got := w.xrayPid(); got != pid {
		t.Fatalf("worker xray replaced (pid %d -> %d); the last good config should keep running", pid, got)
	}
	logData, _ := os.ReadFile(w.log)
	if !strings.Contains(string(logData), "cached snapshot refused") {
		t.Fatal("worker log does not report the refused cache")
	}
	if !waitFor(20*time.Second, func() bool {
		c.conn.Where("node_id = ?", w.name).First(&state)
		return state.LastSeenVersion == version
	}) {
		t.Fatalf("worker did not sync after refusing its cache: %+v", state)
	}
	if !canDownload(s.socks, s.payload+"/bytes?n=65536") {
		t.Fatal("the worker's client stopped moving bytes")
	}
	if canDownload(proxyVia(t, w.host, inboundPort, intruder), s.payload+"/bytes?n=1") {
		t.Fatal("the client added to the edited cache is served")
	}
	s.mustBePrivate(t, w, published+1)
}

// mustBePrivate: from the test's namespace, n's API port, the port a bad
// template asked the API to listen on, and the socket behind a refused
// fallback are unreachable, while n's VLESS inbound port accepts TCP.
func (s *servedWorker) mustBePrivate(t *testing.T, n *node, published int) {
	t.Helper()
	dial := func(port int) bool {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(n.host.nsIP, fmt.Sprint(port)), 2*time.Second)
		if err == nil {
			conn.Close()
		}
		return err == nil
	}
	if !dial(inboundPort) {
		t.Fatalf("%s: the VLESS inbound %d does not accept TCP from another namespace", n.name, inboundPort)
	}
	for _, port := range []int{apiPort, published} {
		if dial(port) {
			t.Fatalf("%s: Xray's API answers on %s:%d from another namespace", n.name, n.host.nsIP, port)
		}
	}
	// Plain HTTP to the inbound would be handed to a fallback.
	hc := http.Client{Timeout: 3 * time.Second}
	if resp, err := hc.Get(fmt.Sprintf("http://%s:%d/", n.host.nsIP, inboundPort)); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "docker-api") {
			t.Fatalf("%s: the unix socket answers through the VLESS inbound", n.name)
		}
	}
}
