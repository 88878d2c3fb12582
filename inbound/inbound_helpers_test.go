package inbound

import (
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// svcAdd adds an inbound or fails the test.
func svcAdd(t testing.TB, s *Store, in *model.Inbound) *model.Inbound {
	t.Helper()
	out, err := s.AddInbound(in)
	if err != nil {
		t.Fatalf("AddInbound: %v", err)
	}
	return out
}

// svcClientsOf returns the clients stored in an inbound's settings, by email.
func svcClientsOf(t testing.TB, db *database.Handle, id int) map[string]Client {
	t.Helper()
	var in model.Inbound
	if err := db.Current().First(&in, id).Error; err != nil {
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
