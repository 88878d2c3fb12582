package xraytest

import (
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/xray"
)

// StartClient starts a separate Xray process acting as a client: a SOCKS5
// inbound on a free 127.0.0.1 port forwarding to outbound. A non-empty
// sendThrough (e.g. "127.0.0.2") is the source address of its connections
// to the server, so tests can present different client IPs. stop is
// idempotent and also runs on t.Cleanup.
func StartClient(t testing.TB, outbound json.RawMessage, sendThrough string) (socksAddr string, stop func()) {
	t.Helper()
	var ob map[string]any
	if err := json.Unmarshal(outbound, &ob); err != nil {
		t.Fatalf("xraytest: outbound is not a JSON object: %v", err)
	}
	ob["tag"] = "proxy"
	if sendThrough != "" {
		ob["sendThrough"] = sendThrough
	}
	port := FreePort(t)
	cfg := &xray.Config{
		LogConfig: json.RawMessage(`{"loglevel":"warning"}`),
		InboundConfigs: []xray.InboundConfig{{
			Listen:   json.RawMessage(`"127.0.0.1"`),
			Port:     port,
			Protocol: "socks",
			Settings: json.RawMessage(`{"auth":"noauth","udp":false}`),
			Tag:      "socks-in",
		}},
		OutboundConfigs: mustJSON(t, []any{ob}),
	}
	dir := t.TempDir()
	proc := xray.NewProcess(xray.ProcessOptions{
		BinaryPath: Binary(t),
		ConfigPath: filepath.Join(dir, "client.json"),
	})
	if err := proc.Start(cfg); err != nil {
		t.Fatalf("xraytest: start Xray client: %v", err)
	}
	socksAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var once sync.Once
	stop = func() { once.Do(func() { _ = proc.Stop() }) }
	t.Cleanup(stop)
	if !WaitPort(socksAddr, 10*time.Second) {
		stop()
		t.Fatalf("xraytest: Xray client SOCKS port %s did not open; logs:\n%v", socksAddr, proc.LastLogs(20))
	}
	return socksAddr, stop
}

// WaitPort polls until addr accepts TCP connections or within passes.
func WaitPort(addr string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("xraytest: encode JSON: %v", err)
	}
	return b
}

func outbound(v map[string]any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("xraytest: encode outbound: %v", err))
	}
	return b
}

// VLESSOutbound connects to a VLESS server on 127.0.0.1:serverPort over
// plain TCP.
func VLESSOutbound(serverPort int, id, flow string) json.RawMessage {
	return outbound(map[string]any{
		"protocol": "vless",
		"settings": map[string]any{"address": "127.0.0.1", "port": serverPort, "id": id, "flow": flow, "encryption": "none"},
	})
}

// VMessOutbound connects to a VMess server on 127.0.0.1:port over plain TCP.
func VMessOutbound(port int, id string) json.RawMessage {
	return outbound(map[string]any{
		"protocol": "vmess",
		"settings": map[string]any{"address": "127.0.0.1", "port": port, "id": id, "security": "auto"},
	})
}

// TrojanOutbound connects to a Trojan server on 127.0.0.1:port over plain
// TCP (no TLS: tests only).
func TrojanOutbound(port int, password string) json.RawMessage {
	return outbound(map[string]any{
		"protocol": "trojan",
		"settings": map[string]any{"address": "127.0.0.1", "port": port, "password": password},
	})
}

// ShadowsocksOutbound connects to a Shadowsocks server on 127.0.0.1:port;
// for a 2022 multi-user server the password is "serverKey:userKey".
func ShadowsocksOutbound(port int, method, password string) json.RawMessage {
	return outbound(map[string]any{
		"protocol": "shadowsocks",
		"settings": map[string]any{"address": "127.0.0.1", "port": port, "method": method, "password": password},
	})
}

// VLESSOutboundTo is VLESSOutbound to a server at host (a test host's
// address in a network namespace).
func VLESSOutboundTo(host string, serverPort int, id string) json.RawMessage {
	return outbound(map[string]any{
		"protocol": "vless",
		"settings": map[string]any{"address": host, "port": serverPort, "id": id, "encryption": "none"},
	})
}
