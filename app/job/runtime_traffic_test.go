package job

import (
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// TestTrafficCountedPerClientAndInbound moves real bytes through each
// protocol and checks the database counters after one traffic tick.
func TestTrafficCountedPerClientAndInbound(t *testing.T) {
	const n = 8 << 20
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		r := newRuntime(t, b)
		for _, protocol := range []model.Protocol{model.VLESS, model.VMESS, model.Trojan, model.Shadowsocks} {
			in, clients, serverKey := r.addInbound(protocol, nil, string(protocol)+"-user@test")
			socks := r.proxy(clients[0], serverKey, "")
			got, err := xraytest.Download(socks, r.bytesURL(n))
			if err != nil || got != n {
				t.Fatalf("%s: downloaded %d of %d: %v", protocol, got, n, err)
			}
			// Xray updates a connection's counters as the last writes return;
			// a few ticks may be needed to see all of them.
			var ct *xray.ClientTraffic
			var inbound *model.Inbound
			// Xray's inbound counters sit on the raw connection, so they also
			// hold protocol framing; for VMess Xray reports a few percent
			// less on the inbound than it delivered (recorded in
			// docs/benchmarks.md). Client counters are payload bytes for all.
			inboundTolerance := 2.0
			if protocol != model.VLESS && protocol != model.Trojan {
				inboundTolerance = 10
			}
			eventually(5*time.Second, func() bool {
				r.trafficTick()
				ct, inbound = r.clientTraffic(clients[0].email), r.inbound(in.Id)
				return within(ct.Down, n, 2) && within(inbound.Down, n, inboundTolerance)
			})
			t.Logf("%s %s: client up=%d down=%d, inbound up=%d down=%d", b.Name, protocol, ct.Up, ct.Down, inbound.Up, inbound.Down)
			if !within(ct.Down, n, 2) || !within(inbound.Down, n, inboundTolerance) {
				t.Fatalf("%s: counters off: client down %d (2%%), inbound down %d (%.0f%%), want %d", protocol, ct.Down, inbound.Down, inboundTolerance, n)
			}
			if ct.Up <= 0 || ct.AllTime != ct.Up+ct.Down {
				t.Fatalf("%s: unexpected client row %+v", protocol, ct)
			}
		}
		// A second tick with no traffic adds nothing.
		before := r.clientTraffic("vless-user@test")
		r.trafficTick()
		if after := r.clientTraffic("vless-user@test"); after.Down != before.Down || after.Up != before.Up {
			t.Fatalf("idle tick changed counters: %+v -> %+v", before, after)
		}
	})
}
