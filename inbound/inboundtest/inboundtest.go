// Package inboundtest builds valid inbounds and clients for tests.
package inboundtest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"

	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// UUID is a random version-4 UUID.
func UUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Client builds a client of protocol p with a fresh key.
func Client(p model.Protocol, email string) map[string]any {
	c := map[string]any{"email": email, "enable": true, "totalGB": 0, "expiryTime": 0, "limitIp": 0, "subId": "s-" + email}
	switch p {
	case model.VLESS:
		c["id"], c["flow"] = UUID(), ""
	case model.VMESS:
		c["id"] = UUID()
	case model.Trojan:
		c["password"] = "pw-" + email
	case model.Shadowsocks:
		c["password"] = "pw-" + email
	}
	return c
}

// Settings is an inbound settings JSON for protocol p with clients.
func Settings(p model.Protocol, clients ...map[string]any) string {
	s := map[string]any{"clients": clients}
	switch p {
	case model.VLESS:
		s["decryption"] = "none"
	case model.Shadowsocks:
		s["method"] = "aes-256-gcm"
		s["network"] = "tcp,udp"
	}
	data, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(data)
}

// Inbound is an enabled inbound of protocol p on port, over plain TCP.
func Inbound(p model.Protocol, port int, clients ...map[string]any) *model.Inbound {
	return &model.Inbound{
		Remark: fmt.Sprintf("%s-%d", p, port), Enable: true, Port: port, Protocol: p,
		Settings:       Settings(p, clients...),
		StreamSettings: `{"network":"tcp","security":"none"}`,
		Sniffing:       `{"enabled":false}`,
	}
}
