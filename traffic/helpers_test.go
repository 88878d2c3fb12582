package traffic

import (
	"fmt"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
)

// addInbound adds an inbound or fails the test.
func addInbound(t testing.TB, s *inbound.InboundService, in *model.Inbound) *model.Inbound {
	t.Helper()
	out, err := s.AddInbound(in)
	if err != nil {
		t.Fatalf("AddInbound: %v", err)
	}
	return out
}

// bigInbound creates an inbound holding n vless clients named prefix-i.
func bigInbound(t testing.TB, s *inbound.InboundService, port, n int, prefix string) *model.Inbound {
	t.Helper()
	clients := make([]map[string]any, n)
	for i := range clients {
		clients[i] = inboundtest.Client(model.VLESS, fmt.Sprintf("%s-%d", prefix, i))
	}
	return addInbound(t, s, inboundtest.Inbound(model.VLESS, port, clients...))
}

// clientsOf returns the clients stored in an inbound's settings, by email.
func clientsOf(t testing.TB, id int) map[string]inbound.Client {
	t.Helper()
	var in model.Inbound
	if err := database.GetDB().First(&in, id).Error; err != nil {
		t.Fatal(err)
	}
	clients, err := inbound.ParseInboundClients(in.Settings)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]inbound.Client{}
	for _, c := range clients {
		out[c.Email] = c
	}
	return out
}
