package service

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

func svcUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// svcClient builds a client of protocol p with a fresh key.
func svcClient(p model.Protocol, email string) map[string]any {
	c := map[string]any{"email": email, "enable": true, "totalGB": 0, "expiryTime": 0, "limitIp": 0, "subId": "s-" + email}
	switch p {
	case model.VLESS:
		c["id"], c["flow"] = svcUUID(), ""
	case model.VMESS:
		c["id"] = svcUUID()
	case model.Trojan:
		c["password"] = "pw-" + email
	case model.Shadowsocks:
		c["password"] = "pw-" + email
	}
	return c
}

func svcSettings(p model.Protocol, clients ...map[string]any) string {
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

func svcInbound(p model.Protocol, port int, clients ...map[string]any) *model.Inbound {
	return &model.Inbound{
		Remark: fmt.Sprintf("%s-%d", p, port), Enable: true, Port: port, Protocol: p,
		Settings:       svcSettings(p, clients...),
		StreamSettings: `{"network":"tcp","security":"none"}`,
		Sniffing:       `{"enabled":false}`,
	}
}

// svcAdd adds an inbound or fails the test.
func svcAdd(t testing.TB, s *InboundService, in *model.Inbound) *model.Inbound {
	t.Helper()
	out, err := s.AddInbound(in)
	if err != nil {
		t.Fatalf("AddInbound: %v", err)
	}
	return out
}

// svcWantErr asserts err is a service error of kind naming field.
func svcRows(t testing.TB, inboundID int) map[string]xray.ClientTraffic {
	t.Helper()
	var rows []xray.ClientTraffic
	q := database.GetDB()
	if inboundID > 0 {
		q = q.Where("inbound_id = ?", inboundID)
	}
	if err := q.Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]xray.ClientTraffic{}
	for _, r := range rows {
		out[r.Email] = r
	}
	return out
}

// svcClientsOf returns the clients stored in an inbound's settings, by email.
func svcClientsOf(t testing.TB, id int) map[string]Client {
	t.Helper()
	var in model.Inbound
	if err := database.GetDB().First(&in, id).Error; err != nil {
		t.Fatal(err)
	}
	clients, err := ParseInboundClients(in.Settings)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Client{}
	for _, c := range clients {
		out[c.Email] = c
	}
	return out
}

func svcExec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if err := database.GetDB().Exec(sql, args...).Error; err != nil {
		t.Fatal(err)
	}
}
