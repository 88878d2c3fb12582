package traffic_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// API writes and the traffic rules both rewrite an inbound's settings JSON;
// running them side by side must lose neither the added clients nor the
// disabled flags.
func TestConcurrentClientAddsAndTrafficRules(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		pipe := newPipeline(t, db, true)
		s := inbound.New(db, nil)
		const rounds = 15
		var quota []map[string]any
		for i := 0; i < rounds; i++ {
			c := inboundtest.Client(model.VLESS, fmt.Sprintf("quota-%d", i))
			c["totalGB"] = 1
			quota = append(quota, c)
		}
		in := addInbound(t, s, inboundtest.Inbound(model.VLESS, 35000, quota...))

		var wg sync.WaitGroup
		errs := make(chan error, 2*rounds)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				req := &model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, inboundtest.Client(model.VLESS, fmt.Sprintf("added-%d", i)))}
				errs <- s.AddInboundClient(req)
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				_, err := pipe.tick(nil, []*xray.ClientTraffic{{Email: fmt.Sprintf("quota-%d", i), Up: 5, Down: 5}})
				errs <- err
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		clients, rows := clientsOf(t, db, in.Id), testdb.RowsOf(t, db, in.Id)
		if len(clients) != 2*rounds || len(rows) != 2*rounds {
			t.Fatalf("lost writes: %d clients, %d rows, want %d", len(clients), len(rows), 2*rounds)
		}
		for i := 0; i < rounds; i++ {
			q := fmt.Sprintf("quota-%d", i)
			if clients[q].Enable || rows[q].Enable || rows[q].Up != 5 {
				t.Fatalf("%s: disable lost: json %+v row %+v", q, clients[q], rows[q])
			}
			if !clients[fmt.Sprintf("added-%d", i)].Enable {
				t.Fatalf("added-%d missing or disabled", i)
			}
		}
	})
}
