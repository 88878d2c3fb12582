package traffic_test

import (
	"fmt"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// BenchmarkFlush10kClients: one journal flush carrying 10,000 client
// deltas plus inbound and outbound deltas, rules included.
func BenchmarkFlush10kClients(b *testing.B) {
	for _, name := range []string{dbtest.SQLite, dbtest.MariaDB} {
		b.Run(name, func(b *testing.B) {
			db := testdb.Handle(b, dbtest.New(b, name))
			pipe := newPipeline(b, db, true)
			s := inbound.New(db, nil)
			in := bigInbound(b, s, 33000, 10000, "bench")
			clients := make([]*xray.ClientTraffic, 10000)
			for i := range clients {
				clients[i] = &xray.ClientTraffic{Email: fmt.Sprintf("bench-%d", i), Up: int64(i + 1), Down: 2}
			}
			traffics := []*xray.Traffic{
				{IsInbound: true, Tag: in.Tag, Up: 1000, Down: 2000},
				{IsOutbound: true, Tag: "direct", Up: 1000, Down: 2000},
			}
			for b.Loop() {
				if _, err := pipe.tick(traffics, clients); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
