// Package xrayjson renders complete Xray client configs: for every entry,
// the template (template.json: local socks 10808 and http 10809 inbounds,
// direct and block outbounds, routing that keeps private ranges direct and
// sends the rest through "proxy", no geo files) with the entry's outbound
// tagged "proxy" put first and its remark in "remarks".
package xrayjson

import (
	_ "embed"
	"encoding/json"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
)

//go:embed template.json
var defaultTemplate []byte

// Render is a JSON array of client configs, one per entry.
func Render(entries []profile.Entry) ([]byte, error) {
	configs := make([]json.RawMessage, 0, len(entries))
	for _, e := range entries {
		cfg, err := Config(e)
		if err != nil {
			return nil, err
		}
		configs = append(configs, cfg)
	}
	return json.MarshalIndent(configs, "", "  ")
}

// Config is one entry's full client config.
func Config(e profile.Entry) (json.RawMessage, error) {
	var doc map[string]any
	if err := json.Unmarshal(defaultTemplate, &doc); err != nil {
		return nil, err
	}
	outbounds, _ := doc["outbounds"].([]any)
	doc["outbounds"] = append([]any{Outbound(e)}, outbounds...)
	doc["remarks"] = e.Remark
	return json.Marshal(doc)
}

// Outbound is the entry as an Xray outbound tagged "proxy".
func Outbound(e profile.Entry) map[string]any {
	ob := map[string]any{"tag": "proxy", "protocol": string(e.Protocol)}
	switch e.Protocol {
	case model.VLESS:
		user := map[string]any{"id": e.Client.ID, "encryption": "none"}
		if e.Client.Flow != "" && e.Stream.Network == "tcp" && e.Stream.Security != "none" {
			user["flow"] = e.Client.Flow
		}
		ob["settings"] = map[string]any{"vnext": []any{map[string]any{"address": e.Address, "port": e.Port, "users": []any{user}}}}
	case model.VMESS:
		sec := e.Client.Security
		if sec == "" {
			sec = "auto"
		}
		user := map[string]any{"id": e.Client.ID, "security": sec}
		ob["settings"] = map[string]any{"vnext": []any{map[string]any{"address": e.Address, "port": e.Port, "users": []any{user}}}}
	case model.Trojan:
		ob["settings"] = map[string]any{"servers": []any{map[string]any{"address": e.Address, "port": e.Port, "password": e.Client.Password}}}
	case model.Shadowsocks:
		ob["settings"] = map[string]any{"servers": []any{map[string]any{"address": e.Address, "port": e.Port, "method": e.Method, "password": e.SSPassword()}}}
	}
	ob["streamSettings"] = StreamSettings(e.Stream)
	return ob
}

// StreamSettings is the client streamSettings for s.
func StreamSettings(s profile.Stream) map[string]any {
	out := map[string]any{"network": s.Network, "security": s.Security}
	switch s.Network {
	case "tcp":
		if s.HeaderType == "http" {
			req := map[string]any{"path": []string{orSlash(s.Path)}}
			if s.Host != "" {
				req["headers"] = map[string]any{"Host": strings.Split(s.Host, ",")}
			}
			out["tcpSettings"] = map[string]any{"header": map[string]any{"type": "http", "request": req}}
		}
	case "ws":
		out["wsSettings"] = pathHost(s)
	case "httpupgrade":
		out["httpupgradeSettings"] = pathHost(s)
	case "xhttp":
		x := pathHost(s)
		if s.Mode != "" {
			x["mode"] = s.Mode
		}
		out["xhttpSettings"] = x
	case "grpc":
		g := map[string]any{"serviceName": s.ServiceName, "multiMode": s.MultiMode}
		if s.Authority != "" {
			g["authority"] = s.Authority
		}
		out["grpcSettings"] = g
	}
	switch s.Security {
	case "tls":
		t := map[string]any{}
		setIf(t, "serverName", s.SNI)
		setIf(t, "fingerprint", s.Fingerprint)
		setIf(t, "pinnedPeerCertSha256", s.PinnedSHA256)
		if len(s.ALPN) > 0 {
			t["alpn"] = s.ALPN
		}
		out["tlsSettings"] = t
	case "reality":
		r := map[string]any{"publicKey": s.PublicKey, "shortId": s.ShortID, "fingerprint": s.Fingerprint}
		setIf(r, "serverName", s.SNI)
		setIf(r, "spiderX", s.SpiderX)
		out["realitySettings"] = r
	}
	return out
}

func pathHost(s profile.Stream) map[string]any {
	m := map[string]any{"path": orSlash(s.Path)}
	setIf(m, "host", s.Host)
	return m
}

func orSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func setIf(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}
