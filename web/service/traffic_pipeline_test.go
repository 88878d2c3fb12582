package service

import (
	"path/filepath"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// Defect 4: a lone MariaDB node ran the shared pipeline, which dropped
// Xray's inbound and outbound counters (outbound_traffics never moved).
// Now every mode journals client, inbound and outbound counters and the
// ledger applies each batch once, on SQLite and MariaDB alike.
func TestOnePipelineCarriesClientInboundAndOutboundCounters(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		dir := openFlushDB(t, b) // inbound 1 "inbound-1" with clients c0@x...
		store := NewTrafficPendingStore(filepath.Join(dir, "traffic-pending.json"))
		flush := NewTrafficFlushService(store)
		drain := func() {
			err := flush.CollectAll([]*xray.Traffic{
				{IsInbound: true, Tag: "inbound-1", Up: 100, Down: 1000},
				{IsOutbound: true, Tag: "direct", Up: 70, Down: 700},
				{IsInbound: true, Tag: "api", Up: 0, Down: 0},
			}, []*xray.ClientTraffic{{Email: "c0@x", Up: 60, Down: 600}})
			if err != nil {
				t.Fatal(err)
			}
		}
		drain()
		drain()
		if err := flush.FlushOnce(); err != nil {
			t.Fatal(err)
		}
		// A crash after the commit replays the same batch: the ledger skips it.
		if err := flush.FlushOnce(); err != nil {
			t.Fatal(err)
		}
		db := database.GetDB()
		var in model.Inbound
		if err := db.First(&in, 1).Error; err != nil {
			t.Fatal(err)
		}
		if in.Up != 200 || in.Down != 2000 {
			t.Fatalf("inbound counters %d/%d, want Xray's 200/2000", in.Up, in.Down)
		}
		var out model.OutboundTraffics
		if err := db.Where("tag = ?", "direct").First(&out).Error; err != nil {
			t.Fatalf("outbound_traffics not updated: %v", err)
		}
		if out.Up != 140 || out.Down != 1400 || out.Total != 1540 {
			t.Fatalf("outbound counters %+v, want 140/1400/1540", out)
		}
		var ct xray.ClientTraffic
		if err := db.Where("email = ?", "c0@x").First(&ct).Error; err != nil {
			t.Fatal(err)
		}
		if ct.Up != 120 || ct.Down != 1200 {
			t.Fatalf("client counters %d/%d, want 120/1200", ct.Up, ct.Down)
		}
		var hours []model.NodeTrafficHour
		if err := db.Find(&hours).Error; err != nil || len(hours) != 1 || hours[0].Up != 120 || hours[0].Down != 1200 {
			t.Fatalf("node_traffic_hours %+v (%v), want one row of 120/1200", hours, err)
		}
		if got, _ := store.Collected(); got.Up != 120 || got.Down != 1200 {
			t.Fatalf("journal audit %+v counts more than client bytes", got)
		}
	})
}
