package sub_test

import (
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/sub"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
)

// TestDBSource: the master's source reads inbounds with their client
// stats, and only nodes with an address and a fresh heartbeat.
func TestDBSource(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		dbtest.UseBackend(t, b)
		if err := database.InitDBWithPath(b.SQLitePath); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { database.CloseDB() })
		in := inboundFor(0, 24443, combo{"vless", "", "ws", "none"}, "", "")
		in.ClientStats, in.Tag = nil, ""
		if _, err := (inbound.New(database.Process(), cluster.NodeFromJSON())).AddInbound(in); err != nil {
			t.Fatal(err)
		}
		list, err := sub.DBInbounds(database.Process())
		if err != nil || len(list) != 1 || len(list[0].ClientStats) != 2 {
			t.Fatalf("inbounds %v %+v", err, list)
		}
		now := time.Now()
		conn := database.GetDB()
		for _, st := range []model.NodeState{
			{NodeID: "live", NodeRole: "worker", NodeAddress: "198.51.100.1", LastHeartbeatAt: now.Unix() - 5},
			{NodeID: "stale", NodeRole: "worker", NodeAddress: "198.51.100.2", LastHeartbeatAt: now.Unix() - 600},
			{NodeID: "noaddr", NodeRole: "worker", LastHeartbeatAt: now.Unix()},
		} {
			if err := cluster.SignNodeState(&st); err != nil {
				t.Fatal(err)
			}
			if err := conn.Create(&st).Error; err != nil {
				t.Fatal(err)
			}
		}
		nodes, err := sub.DBLiveNodes(database.Process(), 30*time.Second, now, true)
		if err != nil || len(nodes) != 1 || nodes[0] != (profile.Node{ID: "live", Address: "198.51.100.1"}) {
			t.Fatalf("nodes %v %+v", err, nodes)
		}
		got := profile.Collect(list, nodes, testSubID, profile.Options{RemarkModel: "-ieo", Now: now})
		if got == nil || len(got.Entries) != 1 || got.Entries[0].Address != "198.51.100.1" {
			t.Fatalf("collect %+v", got)
		}
	})
}

// TestNodeCacheKeepsLastGood: a failing refresh keeps the last good list;
// before any success the fallback (a worker's snapshot nodes) answers.
func TestNodeCacheKeepsLastGood(t *testing.T) {
	t.Parallel()
	fail := true
	c := &sub.NodeCache{
		Fetch: func() ([]profile.Node, error) {
			if fail {
				return nil, errFake
			}
			return []profile.Node{{ID: "a", Address: "a.example"}}, nil
		},
		Fallback: func() []profile.Node { return []profile.Node{{ID: "snap", Address: "s.example"}} },
	}
	if c.Refresh() == nil || len(c.Nodes()) != 1 || c.Nodes()[0].ID != "snap" {
		t.Fatalf("fallback: %+v", c.Nodes())
	}
	fail = false
	if err := c.Refresh(); err != nil || c.Nodes()[0].ID != "a" {
		t.Fatalf("refresh: %v %+v", err, c.Nodes())
	}
	fail = true
	if c.Refresh() == nil || c.Nodes()[0].ID != "a" {
		t.Fatalf("last good lost: %+v", c.Nodes())
	}
}

type fakeErr struct{}

func (fakeErr) Error() string { return "database away" }

var errFake error = fakeErr{}
