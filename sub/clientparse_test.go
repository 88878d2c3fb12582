package sub_test

// An independent client side: share links and Clash proxies parsed into
// Xray outbounds the way an app would, without the server's renderers.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

type linkStream struct {
	network, security, path, host, headerType, serviceName, mode string
	sni, fp, alpn, pbk, sid, spx, pcs                            string
}

// streamJSON builds Xray client streamSettings from link-style parameters.
func (s linkStream) streamJSON() map[string]any {
	st := map[string]any{"network": s.network, "security": s.security}
	switch s.network {
	case "tcp":
		if s.headerType == "http" {
			req := map[string]any{"path": []string{s.path}}
			if s.host != "" {
				req["headers"] = map[string]any{"Host": []string{s.host}}
			}
			st["tcpSettings"] = map[string]any{"header": map[string]any{"type": "http", "request": req}}
		}
	case "ws":
		st["wsSettings"] = map[string]any{"path": s.path, "host": s.host}
	case "httpupgrade":
		st["httpupgradeSettings"] = map[string]any{"path": s.path, "host": s.host}
	case "xhttp":
		st["xhttpSettings"] = map[string]any{"path": s.path, "host": s.host, "mode": s.mode}
	case "grpc":
		st["grpcSettings"] = map[string]any{"serviceName": s.serviceName, "multiMode": s.mode == "multi"}
	}
	switch s.security {
	case "tls":
		t := map[string]any{"serverName": s.sni, "fingerprint": s.fp, "pinnedPeerCertSha256": s.pcs}
		if s.alpn != "" {
			t["alpn"] = strings.Split(s.alpn, ",")
		}
		st["tlsSettings"] = t
	case "reality":
		st["realitySettings"] = map[string]any{"serverName": s.sni, "fingerprint": s.fp, "publicKey": s.pbk, "shortId": s.sid, "spiderX": s.spx}
	}
	return st
}

// parseLink turns a share link into an Xray outbound.
func parseLink(link string) (map[string]any, error) {
	if strings.HasPrefix(link, "vmess://") {
		return parseVMess(strings.TrimPrefix(link, "vmess://"))
	}
	u, err := url.Parse(link)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return nil, fmt.Errorf("port: %v", err)
	}
	host := u.Hostname()
	q := u.Query()
	s := linkStream{
		network: q.Get("type"), security: q.Get("security"), path: q.Get("path"), host: q.Get("host"),
		headerType: q.Get("headerType"), serviceName: q.Get("serviceName"), mode: q.Get("mode"),
		sni: q.Get("sni"), fp: q.Get("fp"), alpn: q.Get("alpn"), pbk: q.Get("pbk"), sid: q.Get("sid"), spx: q.Get("spx"), pcs: q.Get("pcs"),
	}
	if s.network == "" {
		s.network = "tcp"
	}
	if s.security == "" {
		s.security = "none"
	}
	ob := map[string]any{"streamSettings": s.streamJSON()}
	switch u.Scheme {
	case "vless":
		user := map[string]any{"id": u.User.Username(), "encryption": q.Get("encryption")}
		if f := q.Get("flow"); f != "" {
			user["flow"] = f
		}
		ob["protocol"] = "vless"
		ob["settings"] = map[string]any{"vnext": []any{map[string]any{"address": host, "port": port, "users": []any{user}}}}
	case "trojan":
		ob["protocol"] = "trojan"
		ob["settings"] = map[string]any{"servers": []any{map[string]any{"address": host, "port": port, "password": u.User.Username()}}}
	case "ss":
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(u.User.Username(), "="))
		if err != nil {
			return nil, fmt.Errorf("ss userinfo: %v", err)
		}
		method, password, ok := strings.Cut(string(raw), ":")
		if !ok {
			return nil, fmt.Errorf("ss userinfo %q", raw)
		}
		ob["protocol"] = "shadowsocks"
		ob["settings"] = map[string]any{"servers": []any{map[string]any{"address": host, "port": port, "method": method, "password": password}}}
	default:
		return nil, fmt.Errorf("unknown scheme %q", u.Scheme)
	}
	return ob, nil
}

func parseVMess(b64 string) (map[string]any, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, err
	}
	var v struct {
		Add, Port, ID, Scy, Net, Type, Host, Path, TLS, SNI, ALPN, FP string
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	port, _ := strconv.Atoi(v.Port)
	s := linkStream{network: v.Net, security: "none", path: v.Path, host: v.Host, sni: v.SNI, fp: v.FP, alpn: v.ALPN}
	if v.TLS == "tls" {
		s.security = "tls"
	}
	if v.Net == "grpc" {
		s.serviceName, s.mode = v.Path, v.Type
	}
	if v.Net == "tcp" && v.Type == "http" {
		s.headerType = "http"
	}
	return map[string]any{
		"protocol":       "vmess",
		"settings":       map[string]any{"vnext": []any{map[string]any{"address": v.Add, "port": port, "users": []any{map[string]any{"id": v.ID, "security": v.Scy}}}}},
		"streamSettings": s.streamJSON(),
	}, nil
}

// clashToOutbound turns one Mihomo proxy mapping into an Xray outbound.
func clashToOutbound(p map[string]any) (map[string]any, error) {
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	sub := func(k string) map[string]any { m, _ := p[k].(map[string]any); return m }
	port, _ := p["port"].(int)
	server := str(p, "server")
	hostPort := net.JoinHostPort(server, strconv.Itoa(port))
	q := url.Values{}
	network := str(p, "network")
	if network == "" {
		network = "tcp"
	}
	q.Set("type", network)
	if ws := sub("ws-opts"); ws != nil {
		q.Set("path", str(ws, "path"))
		if h, ok := ws["headers"].(map[string]any); ok {
			q.Set("host", str(h, "Host"))
		}
		if up, _ := ws["v2ray-http-upgrade"].(bool); up {
			q.Set("type", "httpupgrade")
		}
	}
	if g := sub("grpc-opts"); g != nil {
		q.Set("serviceName", str(g, "grpc-service-name"))
	}
	if x := sub("xhttp-opts"); x != nil {
		q.Set("path", str(x, "path"))
		q.Set("host", str(x, "host"))
		q.Set("mode", str(x, "mode"))
	}
	tls, _ := p["tls"].(bool)
	sni := str(p, "servername")
	if str(p, "type") == "trojan" {
		tls, sni = true, str(p, "sni")
	}
	q.Set("security", "none")
	if tls {
		q.Set("security", "tls")
		q.Set("sni", sni)
		q.Set("fp", str(p, "client-fingerprint"))
		q.Set("pcs", str(p, "fingerprint"))
		if alpn, ok := p["alpn"].([]any); ok {
			var parts []string
			for _, a := range alpn {
				parts = append(parts, fmt.Sprint(a))
			}
			q.Set("alpn", strings.Join(parts, ","))
		}
	}
	if r := sub("reality-opts"); r != nil {
		q.Set("security", "reality")
		q.Set("pbk", str(r, "public-key"))
		q.Set("sid", str(r, "short-id"))
	}
	switch str(p, "type") {
	case "vless":
		q.Set("encryption", "none")
		q.Set("flow", str(p, "flow"))
		return parseLink("vless://" + str(p, "uuid") + "@" + hostPort + "?" + q.Encode())
	case "trojan":
		return parseLink("trojan://" + url.PathEscape(str(p, "password")) + "@" + hostPort + "?" + q.Encode())
	case "vmess":
		v := map[string]any{"v": "2", "add": server, "port": strconv.Itoa(port), "id": str(p, "uuid"), "scy": str(p, "cipher"),
			"net": q.Get("type"), "host": q.Get("host"), "path": q.Get("path"), "sni": q.Get("sni"), "fp": q.Get("fp")}
		if tls {
			v["tls"] = "tls"
		}
		if network == "grpc" {
			v["path"] = q.Get("serviceName")
		}
		b, _ := json.Marshal(v)
		return parseLink("vmess://" + base64.StdEncoding.EncodeToString(b))
	case "ss":
		user := base64.RawURLEncoding.EncodeToString([]byte(str(p, "cipher") + ":" + str(p, "password")))
		return parseLink("ss://" + user + "@" + hostPort)
	}
	return nil, fmt.Errorf("unknown clash type %v", p["type"])
}
