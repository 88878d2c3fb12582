package notify_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/traffic"
)

// The master's traffic rules record client.depleted and client.expired
// in their own transaction, and a receiver gets them signed.
func TestTrafficRulesRecordDisabledClients(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		recv := newReceiver(t, testSecret)
		r.addHook(t, recv.URL(), "client.depleted", "client.expired")
		used, late, fine := inboundtest.Client(model.VLESS, "used-up"), inboundtest.Client(model.VLESS, "too-late"), inboundtest.Client(model.VLESS, "fine")
		used["totalGB"] = 100
		late["expiryTime"] = time.Now().Add(-time.Minute).UnixMilli()
		if _, err := inbound.New(r.h, nil).AddInbound(inboundtest.Inbound(model.VLESS, 29100, used, late, fine)); err != nil {
			t.Fatal(err)
		}
		testdb.ExecOn(t, r.h, "UPDATE client_traffics SET up = 60, down = 50 WHERE email = ?", "used-up")
		f := traffic.NewFlusher(r.h, traffic.NewJournal(t.TempDir()+"/j.json"), "m1", true, 0,
			traffic.FlushDeps{ClientsDisabled: r.rec.ClientsDisabled})
		if changed, err := f.ReconcileOnce(); err != nil || !changed {
			t.Fatalf("ReconcileOnce = %v, %v", changed, err)
		}
		if err := newDispatcherOnce(r); err != nil {
			t.Fatal(err)
		}
		got := recv.waitFor(2)
		kinds := map[string]traffic.DisabledClient{}
		for _, ev := range got {
			var c traffic.DisabledClient
			if err := json.Unmarshal(ev.Payload, &c); err != nil {
				t.Fatal(err)
			}
			kinds[string(ev.Kind)+" "+c.Email] = c
		}
		if c, ok := kinds["client.depleted used-up"]; !ok || c.Up+c.Down != 110 || c.Total != 100 {
			t.Fatalf("events %v: want client.depleted for used-up with its counters", kinds)
		}
		if _, ok := kinds["client.expired too-late"]; !ok || len(kinds) != 2 {
			t.Fatalf("events %v: want client.expired for too-late and nothing for fine", kinds)
		}
	})
}
