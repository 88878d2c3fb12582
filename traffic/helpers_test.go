package traffic_test

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/web/service"
	"github.com/mhsanaei/3x-ui/v2/xray"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
)

// addInbound adds an inbound or fails the test.
func addInbound(t testing.TB, s *inbound.Store, in *model.Inbound) *model.Inbound {
	t.Helper()
	out, err := s.AddInbound(in)
	if err != nil {
		t.Fatalf("AddInbound: %v", err)
	}
	return out
}

// bigInbound creates an inbound holding n vless clients named prefix-i.
func bigInbound(t testing.TB, s *inbound.Store, port, n int, prefix string) *model.Inbound {
	t.Helper()
	clients := make([]map[string]any, n)
	for i := range clients {
		clients[i] = inboundtest.Client(model.VLESS, fmt.Sprintf("%s-%d", prefix, i))
	}
	return addInbound(t, s, inboundtest.Inbound(model.VLESS, port, clients...))
}

// clientsOf returns the clients stored in an inbound's settings, by email.
func clientsOf(t testing.TB, db *database.Handle, id int) map[string]inbound.Client {
	t.Helper()
	var in model.Inbound
	if err := db.Current().First(&in, id).Error; err != nil {
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

// pipeline is one test's production traffic path, with its own journal.
type pipeline struct {
	flush   *service.TrafficFlushService
	master  bool
	changed atomic.Bool
}

// newPipeline builds the path on db; master is the role the flush runs as.
func newPipeline(t testing.TB, db *database.Handle, master bool) *pipeline {
	journal := service.NewTrafficPendingStore(filepath.Join(t.TempDir(), "traffic-pending.json"))
	p := &pipeline{master: master}
	p.flush = service.NewTrafficFlushServiceWith(db, journal, "local", master,
		service.FlushDeps{OnReconciled: func() { p.changed.Store(true) }})
	return p
}

// tick runs one collection through the path production uses: the drain's
// sink journals it (CollectAll), the flush loop's tick writes it through
// the per-node ledger (FlushOnce) and, on a master, runs the
// reconciliation (ReconcileOnce). It reports whether the master's rules
// changed anything (what makes production apply Xray again).
func (p *pipeline) tick(inbounds []*xray.Traffic, clients []*xray.ClientTraffic) (bool, error) {
	p.changed.Store(false)
	if err := p.flush.CollectAll(inbounds, clients); err != nil {
		return false, err
	}
	if err := p.flush.FlushOnce(); err != nil {
		return false, err
	}
	if p.master {
		if _, err := p.flush.ReconcileOnce(); err != nil {
			return false, err
		}
	}
	return p.changed.Load(), nil
}
