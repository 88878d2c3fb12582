package sub_test

import (
	"encoding/json"
	"fmt"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// combo is one protocol x transport x security the panel accepts.
type combo struct {
	Protocol, Variant, Network, Security string
}

func (c combo) Name() string {
	p := c.Protocol
	if c.Variant != "" {
		p += "-" + c.Variant
	}
	return fmt.Sprintf("%s_%s_%s", p, c.Network, c.Security)
}

var (
	protocols = []struct{ p, variant string }{
		{"vless", ""}, {"vless", "vision"}, {"vmess", ""}, {"trojan", ""},
		{"shadowsocks", "2022"}, {"shadowsocks", "aead"},
	}
	networks   = []string{"tcp", "tcphttp", "ws", "grpc", "httpupgrade", "xhttp"}
	securities = []string{"none", "tls", "reality"}
)

// allCombos lists what Xray accepts: REALITY only for vless and trojan on
// tcp, grpc and xhttp; vision only for vless on plain tcp with tls or
// REALITY.
func allCombos() []combo {
	var out []combo
	for _, p := range protocols {
		for _, n := range networks {
			for _, s := range securities {
				if s == "reality" && (p.p == "vmess" || p.p == "shadowsocks" || (n != "tcp" && n != "grpc" && n != "xhttp")) {
					continue
				}
				if p.variant == "vision" && (n != "tcp" || s == "none") {
					continue
				}
				out = append(out, combo{p.p, p.variant, n, s})
			}
		}
	}
	return out
}

const (
	testUUID      = "b831381d-6324-4d53-ad4f-8cda48b30811"
	testPassword  = "trojan-pass-0123"
	ssServerKey   = "MDEyMzQ1Njc4OWFiY2RlZg=="
	ssUserKey     = "ZmVkY2JhOTg3NjU0MzIxMA=="
	realityPub    = "Z84J2IelR9ch3k8VtlVhhs5ycBUlXA7wHBWcBrjqnAw"
	realityPriv   = "kL0LOxRCjFiMFLsvBY6jILfwgmxb3-uDMFxMHxzHLVc"
	realityShort  = "6ba85179e30d4fc2"
	testSubID     = "golden0123456789"
	testEmailBase = "user"
)

// streamFor is the streamSettings the panel stores for a combination.
func streamFor(c combo, certFile, keyFile string) map[string]any {
	network := c.Network
	st := map[string]any{"security": c.Security}
	switch c.Network {
	case "tcp":
		st["tcpSettings"] = map[string]any{"header": map[string]any{"type": "none"}}
	case "tcphttp":
		network = "tcp"
		st["tcpSettings"] = map[string]any{"header": map[string]any{"type": "http", "request": map[string]any{
			"path": []string{"/obf"}, "headers": map[string]any{"Host": []string{"cdn.example.com"}}}}}
	case "ws":
		st["wsSettings"] = map[string]any{"path": "/ws-path", "host": "ws.example.com"}
	case "grpc":
		st["grpcSettings"] = map[string]any{"serviceName": "grpc-svc", "multiMode": false}
	case "httpupgrade":
		st["httpupgradeSettings"] = map[string]any{"path": "/hu-path", "host": "hu.example.com"}
	case "xhttp":
		st["xhttpSettings"] = map[string]any{"path": "/xh-path", "host": "", "mode": "auto"}
	}
	st["network"] = network
	switch c.Security {
	case "tls":
		cert := map[string]any{"certificateFile": certFile, "keyFile": keyFile}
		st["tlsSettings"] = map[string]any{
			"serverName": "tls.example.com", "alpn": []string{"h2", "http/1.1"},
			"certificates": []any{cert},
			"settings":     map[string]any{"allowInsecure": certFile != "", "fingerprint": "chrome"},
		}
	case "reality":
		st["realitySettings"] = map[string]any{
			"show": false, "target": "127.0.0.1:443", "xver": 0,
			"serverNames": []string{"reality.example.com"}, "privateKey": realityPriv,
			"shortIds": []string{realityShort, ""},
			"settings": map[string]any{"publicKey": realityPub, "fingerprint": "chrome", "spiderX": "/"},
		}
	}
	return st
}

// inboundFor builds the stored inbound with one client of testSubID, plus
// a client of another subId that must never show up.
func inboundFor(id, port int, c combo, certFile, keyFile string) *model.Inbound {
	email := fmt.Sprintf("%s-%d", testEmailBase, id)
	client := map[string]any{"email": email, "enable": true, "subId": testSubID, "totalGB": 10 << 30, "expiryTime": 1798761600000}
	other := map[string]any{"email": fmt.Sprintf("other-%d", id), "enable": true, "subId": "someoneelse00000"}
	settings := map[string]any{}
	switch c.Protocol {
	case "vless":
		client["id"], other["id"] = testUUID, "00000000-0000-4000-8000-000000000001"
		if c.Variant == "vision" {
			client["flow"] = "xtls-rprx-vision"
		}
		settings["decryption"] = "none"
	case "vmess":
		client["id"], other["id"] = testUUID, "00000000-0000-4000-8000-000000000001"
		client["security"] = "auto"
	case "trojan":
		client["password"], other["password"] = testPassword, "other-password"
	case "shadowsocks":
		if c.Variant == "2022" {
			settings["method"], settings["password"] = "2022-blake3-aes-128-gcm", ssServerKey
			client["password"], other["password"] = ssUserKey, "YWFhYWFhYWFhYWFhYWFhYQ=="
		} else {
			settings["method"] = "aes-256-gcm"
			client["method"], other["method"] = "aes-256-gcm", "aes-256-gcm"
			client["password"], other["password"] = "aead-password", "other-aead"
		}
		settings["network"] = "tcp,udp"
	}
	settings["clients"] = []any{client, other}
	return &model.Inbound{
		Id: id, Enable: true, Port: port, Protocol: model.Protocol(c.Protocol),
		Remark: c.Name(), Tag: fmt.Sprintf("inbound-%d", port),
		Settings: mustJSON(settings), StreamSettings: mustJSON(streamFor(c, certFile, keyFile)),
		ClientStats: []xray.ClientTraffic{
			{InboundId: id, Email: email, Enable: true, Up: 1 << 20, Down: 3 << 20, Total: 10 << 30, ExpiryTime: 1798761600000},
			{InboundId: id, Email: fmt.Sprintf("other-%d", id), Enable: true, Up: 5, Down: 7},
		},
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
