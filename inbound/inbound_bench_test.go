package inbound

import (
	"fmt"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
)

// svcBigInbound creates an inbound holding n vless clients named prefix-i.
func svcBigInbound(b *testing.B, s *Store, port, n int, prefix string) *model.Inbound {
	b.Helper()
	clients := make([]map[string]any, n)
	for i := range clients {
		clients[i] = inboundtest.Client(model.VLESS, fmt.Sprintf("%s-%d", prefix, i))
	}
	return svcAdd(b, s, inboundtest.Inbound(model.VLESS, port, clients...))
}

// BenchmarkAddInboundClient20k: add one client to an inbound that already
// holds 20,000 clients.
func BenchmarkAddInboundClient20k(b *testing.B) {
	for _, name := range []string{dbtest.SQLite, dbtest.MariaDB} {
		b.Run(name, func(b *testing.B) {
			db := testdb.Handle(b, dbtest.New(b, name))
			s := New(db, nil)
			in := svcBigInbound(b, s, 34000, 20000, "big")
			i := 0
			for b.Loop() {
				i++
				req := &model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, inboundtest.Client(model.VLESS, fmt.Sprintf("added-%d", i)))}
				if err := s.AddInboundClient(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
