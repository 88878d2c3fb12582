package inbound

import (
	"strconv"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
)

// BenchmarkAddClients5kTo15k: one AddInboundClient with 5,000 new VLESS
// clients into an inbound that holds 15,000 (SQLite; the duplicate
// checks, the settings rewrite and 5,000 traffic rows).
//
//	go test -run '^$' -bench AddClients5kTo15k -benchtime 3x ./inbound/
func BenchmarkAddClients5kTo15k(b *testing.B) {
	clients := func(prefix string, n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = inboundtest.Client(model.VLESS, prefix+strconv.Itoa(i)+"@bench")
		}
		return out
	}
	for b.Loop() {
		b.StopTimer()
		db := testdb.Handle(b, dbtest.New(b, dbtest.SQLite))
		s := New(db, nil)
		in := svcAdd(b, s, inboundtest.Inbound(model.VLESS, 24201, clients("old", 15000)...))
		batch := inboundtest.Settings(model.VLESS, clients("new", 5000)...)
		b.StartTimer()
		if err := s.AddInboundClient(&model.Inbound{Id: in.Id, Settings: batch}); err != nil {
			b.Fatal(err)
		}
	}
}
