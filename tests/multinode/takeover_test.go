package multinode

import (
	"encoding/json"
	"net/http"
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
	t.Parallel() // own namespaces, MariaDB database and x-ui processes
	s := newServedWorker(t, "base@takeover")
	c := s.cluster
	c.master.kill()
	lease := func() model.SharedState {
		var row model.SharedState
		c.conn.Where("`key` = ?", database.MasterLeaseKey).First(&row)
		return row
	}
	// The crashed master's lease lasts 3 sync intervals (6 s) from its last
	// renewal; a standby starting on a loaded machine can take about that
	// long. Stand in for a master that renewed just before it died, so the
	// refusal below does not depend on how fast the standby starts.
	if err := c.conn.Model(&model.SharedState{}).Where("`key` = ?", database.MasterLeaseKey).
		Update("version", time.Now().Add(20*time.Second).Unix()).Error; err != nil {
		t.Fatal(err)
	}

	standby := newNode(t, c, "m2", config.NodeRoleMaster, nodeOptions{syncSeconds: 2, flushSeconds: 1})
	out := standby.startRefused(c)
	if !strings.Contains(out, "another master") || !strings.Contains(out, c.master.host.nsIP) {
		t.Fatalf("standby while the crashed master's lease is valid: want a refusal naming it, got:\n%s", out)
	}
	if !canDownload(s.socks, s.payload+"/bytes?n=1024") {
		t.Fatal("the worker stopped serving when the master crashed")
	}
	expires := lease().Version
	if !waitFor(40*time.Second, func() bool { return time.Now().Unix() > expires }) {
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

	// The nodes list: the worker runs exactly the config the master expects.
	var w nodeRow
	if !waitFor(20*time.Second, func() bool {
		w = c.nodeRow(s.w.name)
		return w.ConfigMatches != nil && *w.ConfigMatches && w.Lag == 0
	}) {
		t.Fatalf("worker row never showed a matching config: %+v", w)
	}
	if w.PanelVersion == "" || w.XrayVersion == "" || w.XrayState != "running" || w.PushURL == "" || w.Stale {
		t.Fatalf("worker row incomplete: %+v", w)
	}
}

type nodeRow struct {
	NodeID        string `json:"nodeId"`
	PanelVersion  string `json:"panelVersion"`
	XrayVersion   string `json:"xrayVersion"`
	XrayState     string `json:"xrayState"`
	PushURL       string `json:"pushUrl"`
	PendingBytes  int64  `json:"pendingBytes"`
	Lag           int64  `json:"lag"`
	Stale         bool   `json:"stale"`
	ConfigMatches *bool  `json:"configMatches"`
}

// nodeRow reads one node's row of panel/api/nodes/list on the master.
func (c *cluster) nodeRow(id string) nodeRow {
	c.t.Helper()
	env := c.api.mustOK(http.MethodGet, "nodes/list", nil)
	var list struct {
		Nodes []nodeRow `json:"nodes"`
	}
	_ = json.Unmarshal(env.Obj, &list)
	for _, n := range list.Nodes {
		if n.NodeID == id {
			return n
		}
	}
	return nodeRow{}
}
