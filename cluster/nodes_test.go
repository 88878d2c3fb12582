package cluster

import (
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
)

func TestListNodesReportsLagAndStaleness(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		h := testdb.Handle(t, b)
		conn := h.Current()
		for i := 0; i < 5; i++ {
			if err := database.BumpSharedAccountsVersion(conn); err != nil {
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
			if err := database.UpsertNodeState(conn, &rows[i]); err != nil {
				t.Fatal(err)
			}
		}
		overview, err := NewNode(config.NodeConfig{Role: config.NodeRoleMaster, SyncIntervalSeconds: 30}, true, h).ListNodes()
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

func TestListNodesSumsTheLast24Hours(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		h := testdb.Handle(t, b)
		conn := h.Current()
		now := time.Now()
		if err := database.UpsertNodeState(conn, &model.NodeState{NodeID: "w1", NodeRole: "worker", LastHeartbeatAt: now.Unix()}); err != nil {
			t.Fatal(err)
		}
		hour := now.Truncate(time.Hour)
		rows := []model.NodeTrafficHour{
			{NodeID: "w1", Hour: hour.Unix(), Up: 10, Down: 100},
			{NodeID: "w1", Hour: hour.Add(-23 * time.Hour).Unix(), Up: 1, Down: 2},
			{NodeID: "w1", Hour: hour.Add(-30 * time.Hour).Unix(), Up: 1000, Down: 1000}, // too old
			{NodeID: "gone", Hour: hour.Unix(), Up: 5, Down: 5},                          // no status row
		}
		if err := conn.Create(&rows).Error; err != nil {
			t.Fatal(err)
		}
		overview, err := NewNode(config.NodeConfig{Role: config.NodeRoleMaster, SyncIntervalSeconds: 30}, true, h).ListNodes()
		if err != nil {
			t.Fatal(err)
		}
		if len(overview.Nodes) != 1 || overview.Nodes[0].Up24h != 11 || overview.Nodes[0].Down24h != 102 {
			t.Fatalf("24h traffic: %+v", overview.Nodes)
		}
	})
}
