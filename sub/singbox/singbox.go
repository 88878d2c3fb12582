// Package singbox renders a sing-box (1.12+ schema, run with 1.14) client
// config: one outbound per entry, a "proxy" selector and an "auto" urltest
// over them, a local mixed inbound, and routing that needs no geo files
// (private ranges direct, everything else through the selector).
//
// sing-box has no XHTTP transport and no equivalent of Xray's TCP HTTP
// header obfuscation: such entries are left out.
package singbox

import (
	"encoding/json"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
)

// MixedPort is the local mixed (socks+http) inbound's port.
const MixedPort = 2080

// Supported reports whether sing-box can connect to the entry.
func Supported(e profile.Entry) bool {
	s := e.Stream
	switch {
	case s.Network == "xhttp":
		return false
	case s.Network == "tcp" && s.HeaderType == "http":
		return false
	case s.Network != "tcp" && s.Network != "ws" && s.Network != "grpc" && s.Network != "httpupgrade":
		return false
	}
	return true
}

// Render builds the whole config.
func Render(entries []profile.Entry) ([]byte, error) {
	var proxies []any
	var tags []string
	seen := map[string]int{}
	for _, e := range entries {
		if !Supported(e) {
			continue
		}
		ob := Outbound(e)
		tag := uniqueTag(seen, e.Remark)
		ob["tag"] = tag
		proxies = append(proxies, ob)
		tags = append(tags, tag)
	}
	outbounds := []any{}
	if len(tags) > 0 {
		outbounds = append(outbounds,
			map[string]any{"type": "selector", "tag": "proxy", "outbounds": append([]string{"auto"}, tags...), "default": "auto"},
			map[string]any{"type": "urltest", "tag": "auto", "outbounds": tags})
	}
	outbounds = append(outbounds, proxies...)
	outbounds = append(outbounds, map[string]any{"type": "direct", "tag": "direct"})
	final := "direct"
	if len(tags) > 0 {
		final = "proxy"
	}
	doc := map[string]any{
		"log": map[string]any{"level": "warn"},
		"dns": map[string]any{
			"servers": []any{
				map[string]any{"type": "local", "tag": "local"},
			},
		},
		"inbounds": []any{
			map[string]any{"type": "mixed", "tag": "mixed-in", "listen": "127.0.0.1", "listen_port": MixedPort},
		},
		"outbounds": outbounds,
		"route": map[string]any{
			"rules": []any{
				map[string]any{"action": "sniff"},
				map[string]any{"protocol": "dns", "action": "hijack-dns"},
				map[string]any{"ip_is_private": true, "outbound": "direct"},
			},
			"final":                   final,
			"default_domain_resolver": "local",
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

func uniqueTag(seen map[string]int, name string) string {
	if name == "" {
		name = "proxy"
	}
	seen[name]++
	if n := seen[name]; n > 1 {
		return name + " #" + itoa(n)
	}
	return name
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Outbound is one entry as a sing-box outbound (without tag).
func Outbound(e profile.Entry) map[string]any {
	ob := map[string]any{"server": e.Address, "server_port": e.Port}
	switch e.Protocol {
	case model.VLESS:
		ob["type"] = "vless"
		ob["uuid"] = e.Client.ID
		if e.Client.Flow != "" && e.Stream.Network == "tcp" && e.Stream.Security != "none" {
			ob["flow"] = e.Client.Flow
		}
	case model.VMESS:
		ob["type"] = "vmess"
		ob["uuid"] = e.Client.ID
		ob["alter_id"] = 0
		sec := e.Client.Security
		if sec == "" {
			sec = "auto"
		}
		ob["security"] = sec
	case model.Trojan:
		ob["type"] = "trojan"
		ob["password"] = e.Client.Password
	case model.Shadowsocks:
		ob["type"] = "shadowsocks"
		ob["method"] = e.Method
		ob["password"] = e.SSPassword()
	}
	if t := transport(e.Stream); t != nil {
		ob["transport"] = t
	}
	if t := tlsBlock(e.Stream); t != nil {
		ob["tls"] = t
	}
	return ob
}

func transport(s profile.Stream) map[string]any {
	switch s.Network {
	case "ws":
		t := map[string]any{"type": "ws", "path": orSlash(s.Path)}
		if s.Host != "" {
			t["headers"] = map[string]any{"Host": s.Host}
		}
		return t
	case "httpupgrade":
		t := map[string]any{"type": "httpupgrade", "path": orSlash(s.Path)}
		if s.Host != "" {
			t["host"] = s.Host
		}
		return t
	case "grpc":
		return map[string]any{"type": "grpc", "service_name": s.ServiceName}
	}
	return nil
}

func tlsBlock(s profile.Stream) map[string]any {
	switch s.Security {
	case "tls":
		t := map[string]any{"enabled": true}
		if s.SNI != "" {
			t["server_name"] = s.SNI
		}
		if len(s.ALPN) > 0 {
			t["alpn"] = s.ALPN
		}
		if s.AllowInsecure {
			t["insecure"] = true
		}
		if s.Fingerprint != "" {
			t["utls"] = map[string]any{"enabled": true, "fingerprint": strings.ToLower(s.Fingerprint)}
		}
		return t
	case "reality":
		t := map[string]any{
			"enabled": true,
			"utls":    map[string]any{"enabled": true, "fingerprint": strings.ToLower(s.Fingerprint)},
			"reality": map[string]any{"enabled": true, "public_key": s.PublicKey, "short_id": s.ShortID},
		}
		if s.SNI != "" {
			t["server_name"] = s.SNI
		}
		return t
	}
	return nil
}

func orSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
