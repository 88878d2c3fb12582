package cluster

import (
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// staleAfterSyncs is how many missed sync intervals make a node stale.
const staleAfterSyncs = 3

// NodeStatus is one node as the master's node list shows it.
type NodeStatus struct {
	model.NodeState
	// Lag is how many shared versions the node has not applied yet.
	Lag int64 `json:"lag"`
	// Stale is true when the heartbeat is older than 3 sync intervals.
	Stale bool `json:"stale"`
	// HeartbeatAge is the heartbeat's age in seconds.
	HeartbeatAge int64 `json:"heartbeatAge"`
}

// NodesOverview is the obj of panel/api/nodes/list.
type NodesOverview struct {
	SharedVersion int64        `json:"sharedVersion"`
	SyncInterval  int          `json:"syncInterval"`
	Nodes         []NodeStatus `json:"nodes"`
}

// ListNodes reports every node's applied version, lag and staleness.
func ListNodes() (*NodesOverview, error) {
	conn, err := database.Conn()
	if err != nil {
		return nil, err
	}
	version, err := database.GetSharedAccountsVersion(conn)
	if err != nil {
		return nil, err
	}
	var states []model.NodeState
	if err := conn.Order("node_id").Find(&states).Error; err != nil {
		return nil, err
	}
	interval := config.GetNodeConfigFromJSON().SyncIntervalSeconds
	return buildNodesOverview(version, interval, states, time.Now().Unix()), nil
}

func buildNodesOverview(version int64, syncInterval int, states []model.NodeState, now int64) *NodesOverview {
	out := &NodesOverview{SharedVersion: version, SyncInterval: syncInterval, Nodes: make([]NodeStatus, 0, len(states))}
	for _, st := range states {
		age := now - st.LastHeartbeatAt
		out.Nodes = append(out.Nodes, NodeStatus{
			NodeState:    st,
			Lag:          max(version-st.LastSeenVersion, 0),
			Stale:        age > int64(staleAfterSyncs*syncInterval),
			HeartbeatAge: age,
		})
	}
	return out
}
