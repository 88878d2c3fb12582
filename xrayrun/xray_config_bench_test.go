package xrayrun

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

// seedClients creates inbounds x perInbound VLESS clients through the service.
func seedClients(b *testing.B, svc *inbound.Store, inbounds, perInbound int) {
	b.Helper()
	for i := 0; i < inbounds; i++ {
		clients := make([]any, perInbound)
		for j := range clients {
			clients[j] = map[string]any{
				"id": fmt.Sprintf("00000000-0000-4000-8000-%04d%08d", i, j), "email": fmt.Sprintf("u%d-%d@bench", i, j),
				"enable": true, "totalGB": 0, "expiryTime": 0, "limitIp": 0, "subId": fmt.Sprintf("s%d%d", i, j),
			}
		}
		raw, _ := json.Marshal(map[string]any{"clients": clients, "decryption": "none"})
		_, err := svc.AddInbound(&model.Inbound{Enable: true, Port: 20000 + i, Protocol: model.VLESS,
			Settings: string(raw), StreamSettings: `{"network":"tcp","security":"none"}`})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetXrayConfig20kClients renders the Xray config for 20 inbounds
// with 1,000 clients each, reading everything from the database.
func BenchmarkGetXrayConfig20kClients(b *testing.B) {
	for _, name := range []string{dbtest.SQLite, dbtest.MariaDB} {
		b.Run(name, func(b *testing.B) {
			db := testdb.Handle(b, dbtest.New(b, name))
			inbounds := inbound.New(db, nil)
			seedClients(b, inbounds, 20, 1000)
			xs := NewRunner(settings.New(db, nil), inbounds, nil)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				cfg, err := xs.GetXrayConfig()
				if err != nil || len(cfg.InboundConfigs) != 21 {
					b.Fatalf("config: %v", err)
				}
			}
		})
	}
}

// BenchmarkPlanLiveOps20kClients diffs two 20k-client configs that differ
// by one client, as every live apply does.
func BenchmarkPlanLiveOps20kClients(b *testing.B) {
	db := testdb.Handle(b, dbtest.New(b, dbtest.SQLite))
	inbounds := inbound.New(db, nil)
	seedClients(b, inbounds, 20, 1000)
	xs := NewRunner(settings.New(db, nil), inbounds, nil)
	before, err := xs.GetXrayConfig()
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]any{"clients": []any{map[string]any{
		"id": "11111111-0000-4000-8000-000000000001", "email": "extra@bench", "enable": true}}})
	if err := inbounds.AddInboundClient(&model.Inbound{Id: 1, Settings: string(raw)}); err != nil {
		b.Fatal(err)
	}
	after, err := xs.GetXrayConfig()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ops, ok := planLiveOps(before, after)
		if !ok || len(ops) != 1 {
			b.Fatalf("expected one live op, got %d (ok=%v)", len(ops), ok)
		}
	}
}
