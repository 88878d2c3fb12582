package cluster

import (
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
)

func TestListNodesReportsLagAndStaleness(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		testdb.Open(t, b)
		for i := 0; i < 5; i++ {
			if err := database.BumpSharedAccountsVersion(nil); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now().Unix()
		rows := []model.NodeState{
			{NodeID: "m", NodeRole: "master", LastSeenVersion: 5, LastHeartbeatAt: now},
			{NodeID: "w-fresh", NodeRole: "worker", LastSeenVersion: 4, LastHeartbeatAt: now - 10},
			{NodeID: "w-stale", NodeRole: "worker", LastSeenVersion: 1, LastHeartbeatAt: now - 200},
		}
		for i := range rows {
			if err := database.UpsertNodeState(nil, &rows[i]); err != nil {
				t.Fatal(err)
			}
		}
		overview, err := ListNodes()
		if err != nil {
			t.Fatal(err)
		}
		if overview.SharedVersion != 5 || overview.SyncInterval != 30 || len(overview.Nodes) != 3 {
			t.Fatalf("overview %+v", overview)
		}
		want := map[string][2]any{"m": {int64(0), false}, "w-fresh": {int64(1), false}, "w-stale": {int64(4), true}}
		for _, n := range overview.Nodes {
			if w := want[n.NodeID]; n.Lag != w[0] || n.Stale != w[1] {
				t.Fatalf("%s: lag %d stale %v, want %v", n.NodeID, n.Lag, n.Stale, w)
			}
		}
	})
}
