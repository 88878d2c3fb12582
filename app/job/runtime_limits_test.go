package job

import (
	"fmt"
	"github.com/mhsanaei/3x-ui/v2/database"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/iplimit"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// TestQuotaExpiryAndRenewOnRealTraffic covers the traffic job's state
// changes: a client over quota is cut off, an expired client with reset
// days is renewed, an expired inbound is disabled.
func TestQuotaExpiryAndRenewOnRealTraffic(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		r := newRuntime(t, b)
		nowMs := time.Now().UnixMilli()
		in, clients, _ := r.addInbound(model.VLESS, nil, "quota@test", "free@test")
		quota, free := clients[0], clients[1]
		r.updateClientByKey(in.Id, quota.id, quota.object(map[string]any{"totalGB": 2 << 20}))
		renew := r.newClient(model.VLESS, in.Port, "renew@test")
		r.addClient(in.Id, renew, map[string]any{"expiryTime": nowMs - 60_000, "reset": 1})

		quotaSocks, freeSocks, renewSocks := r.proxy(quota, "", ""), r.proxy(free, "", ""), r.proxy(renew, "", "")
		if _, err := xraytest.Download(quotaSocks, r.bytesURL(4<<20)); err != nil {
			t.Fatal(err)
		}
		r.trafficTick()

		if ct := r.clientTraffic(quota.email); ct.Enable {
			t.Fatalf("client over quota still enabled: %+v", ct)
		}
		if r.canConnect(quotaSocks) {
			t.Fatal("client over quota can still connect")
		}
		if !r.canConnect(freeSocks) {
			t.Fatal("a client within quota was cut off")
		}
		ct := r.clientTraffic(renew.email)
		if !ct.Enable || ct.ExpiryTime <= time.Now().UnixMilli() || ct.Reset != 1 {
			t.Fatalf("client with reset days was not renewed: %+v", ct)
		}
		if !r.canConnect(renewSocks) {
			t.Fatal("renewed client cannot connect")
		}

		expired, ec, _ := r.addInbound(model.Trojan, nil, "expired-inbound@test")
		expiredSocks := r.proxy(ec[0], "", "")
		if !r.canConnect(expiredSocks) {
			t.Fatal("inbound not serving before expiry")
		}
		expired.ExpiryTime = time.Now().UnixMilli() - 1000
		if _, err := r.inbounds.UpdateInbound(expired); err != nil {
			t.Fatal(err)
		}
		r.trafficTick()
		if r.inbound(expired.Id).Enable {
			t.Fatal("expired inbound still enabled")
		}
		if r.canConnect(expiredSocks) {
			t.Fatal("expired inbound still accepts connections")
		}
	})
}

// TestIPLimitRefusesSecondSourceAddress uses one client from two loopback
// addresses: with limitIp 1 the second is refused while the first keeps
// its connection.
func TestIPLimitRefusesSecondSourceAddress(t *testing.T) {
	r := newRuntime(t, dbtest.New(t, dbtest.SQLite))
	in, clients, _ := r.addInbound(model.VLESS, map[string]any{"limitIp": 1}, "limited@test")
	c := clients[0]
	limiter := iplimit.New(r.xray, r.settings, database.Process())

	// Xray does not track loopback 127.0.0.1 as an online source.
	first := r.proxy(c, "", "127.0.0.2")
	stream := xraytest.StartDownload(first, fmt.Sprintf("%s/slow?n=%d&rate=%d", r.payload, 1<<30, 128<<10))
	defer stream.Stop()
	if !stream.WaitBytes(32<<10, 10*time.Second) {
		t.Fatalf("first address cannot download: %v", stream.Err())
	}
	if err := limiter.CheckOnce(); err != nil {
		t.Fatal(err)
	}
	if blocked := limiter.Blocked(c.email); len(blocked) != 0 {
		t.Fatalf("one address must not be blocked: %v", blocked)
	}

	second := r.proxy(c, "", "127.0.0.3")
	refused := eventually(15*time.Second, func() bool {
		r.canConnect(second) // lets Xray see the second address
		if err := limiter.CheckOnce(); err != nil {
			t.Fatal(err)
		}
		return !r.canConnect(second)
	})
	if !refused {
		t.Fatalf("second address still served; blocked=%v", limiter.Blocked(c.email))
	}
	if got := limiter.Blocked(c.email); len(got) != 1 || got[0] != "127.0.0.3" {
		t.Fatalf("blocked %v, want [127.0.0.3]", got)
	}
	if !stream.Flowing(2*time.Second) || !r.canConnect(first) {
		t.Fatal("the first address lost service")
	}
	ips, err := limiter.GetClientIPs(c.email)
	if err != nil || len(ips) != 2 {
		t.Fatalf("recorded IPs %+v err %v", ips, err)
	}

	// Raising the limit lifts the block on the next check: the limits the
	// service caches per shared version follow the edit.
	r.updateClient(in.Id, c, map[string]any{"limitIp": 2})
	if err := limiter.CheckOnce(); err != nil {
		t.Fatal(err)
	}
	if got := limiter.Blocked(c.email); len(got) != 0 || !eventually(10*time.Second, func() bool { return r.canConnect(second) }) {
		t.Fatalf("limit raised to 2 but still blocked: %v", got)
	}
}
