package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
)

func TestCheckNodeIdentityRefusesALiveDuplicate(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		conn := testdb.Handle(t, b).Current()
		node := config.NodeConfig{Role: config.NodeRoleWorker, NodeID: "w1", SyncIntervalSeconds: 30}
		if err := CheckNodeIdentity(conn, node, "me"); err != nil {
			t.Fatalf("unknown nodeId: %v", err)
		}
		now := time.Now().Unix()
		if err := database.UpsertNodeState(conn, &model.NodeState{NodeID: "w1", NodeRole: "worker", NodeAddress: "10.0.0.9", Instance: "other", LastHeartbeatAt: now}); err != nil {
			t.Fatal(err)
		}
		err := CheckNodeIdentity(conn, node, "me")
		if err == nil || !strings.HasPrefix(err.Error(), "nodeId:") || !strings.Contains(err.Error(), "10.0.0.9") {
			t.Fatalf("live duplicate: %v", err)
		}
		if err := CheckNodeIdentity(conn, node, "other"); err != nil {
			t.Fatalf("the same node restarting must pass: %v", err)
		}
		conn.Model(&model.NodeState{}).Where("node_id = ?", "w1").Update("last_heartbeat_at", now-3600)
		if err := CheckNodeIdentity(conn, node, "me"); err != nil {
			t.Fatalf("a node replacing a long-dead one must pass: %v", err)
		}
	})
}
