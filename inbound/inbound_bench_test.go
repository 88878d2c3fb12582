package inbound

import (
	"fmt"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// svcBigInbound creates an inbound holding n vless clients named prefix-i.
func svcBigInbound(b *testing.B, s *InboundService, port, n int, prefix string) *model.Inbound {
	b.Helper()
	clients := make([]map[string]any, n)
	for i := range clients {
		clients[i] = inboundtest.Client(model.VLESS, fmt.Sprintf("%s-%d", prefix, i))
	}
	return svcAdd(b, s, inboundtest.Inbound(model.VLESS, port, clients...))
}

// BenchmarkAddTraffic10kClients: one AddTraffic call carrying 10,000 client
// deltas plus inbound and outbound deltas, rules included.
func BenchmarkAddTraffic10kClients(b *testing.B) {
	for _, name := range []string{dbtest.SQLite, dbtest.MariaDB} {
		b.Run(name, func(b *testing.B) {
			testdb.Open(b, dbtest.New(b, name))
			s := &InboundService{}
			in := svcBigInbound(b, s, 33000, 10000, "bench")
			clients := make([]*xray.ClientTraffic, 10000)
			for i := range clients {
				clients[i] = &xray.ClientTraffic{Email: fmt.Sprintf("bench-%d", i), Up: int64(i + 1), Down: 2}
			}
			traffics := []*xray.Traffic{
				{IsInbound: true, Tag: in.Tag, Up: 1000, Down: 2000},
				{IsOutbound: true, Tag: "direct", Up: 1000, Down: 2000},
			}
			for b.Loop() {
				if _, err := s.AddTraffic(traffics, clients); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAddInboundClient20k: add one client to an inbound that already
// holds 20,000 clients.
func BenchmarkAddInboundClient20k(b *testing.B) {
	for _, name := range []string{dbtest.SQLite, dbtest.MariaDB} {
		b.Run(name, func(b *testing.B) {
			testdb.Open(b, dbtest.New(b, name))
			s := &InboundService{}
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
