package multinode

import (
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// TestLeaseTakeoverAfterMasterCrash: the master is SIGKILLed, so its lease
// is never released. A standby master is refused while the lease is
// valid, starts once it has expired (3 sync intervals), holds the lease,
// and its changes reach the worker that kept serving meanwhile.
func TestLeaseTakeoverAfterMasterCrash(t *testing.T) {
	s := newServedWorker(t, "base@takeover")
	c := s.cluster
	c.master.kill()

	standby := newNode(t, c, "m2", config.NodeRoleMaster, nodeOptions{syncSeconds: 2, flushSeconds: 1})
	out := standby.startRefused(c)
	if !strings.Contains(out, "another master") || !strings.Contains(out, c.master.host.nsIP) {
		t.Fatalf("standby while the crashed master's lease is valid: want a refusal naming it, got:\n%s", out)
	}
	if !canDownload(s.socks, s.payload+"/bytes?n=1024") {
		t.Fatal("the worker stopped serving when the master crashed")
	}
	lease := func() model.SharedState {
		var row model.SharedState
		c.conn.Where("`key` = ?", database.MasterLeaseKey).First(&row)
		return row
	}
	expires := lease().Version
	if !waitFor(30*time.Second, func() bool { return time.Now().Unix() > expires }) {
		t.Fatal("lease never expired")
	}
	standby.start(c)
	if got := lease().Holder; !strings.Contains(got, standby.host.nsIP) {
		t.Fatalf("lease holder after takeover: %q, want the standby at %s", got, standby.host.nsIP)
	}

	c.api = login(t, standby.panelURL())
	client := vlessClient("after@takeover", nil)
	socks := proxyVia(t, s.w.host, inboundPort, client)
	c.addClient(s.inboundID, client)
	if !waitFor(20*time.Second, func() bool { return canDownload(socks, s.payload+"/bytes?n=1024") }) {
		t.Fatal("a change on the new master never reached the worker")
	}
}
