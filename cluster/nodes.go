package cluster

import (
	"time"

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
	// ConfigMatches compares the node's config hash with the master's for
	// the same applied version; null when the two cannot be compared yet.
	ConfigMatches *bool `json:"configMatches"`
	// Up24h and Down24h are the client bytes this node flushed in the
	// last 24 hourly buckets (node_traffic_hours).
	Up24h   int64 `json:"up24h"`
	Down24h int64 `json:"down24h"`
	// Trusted: the row is signed by the key registered for its node id
	// (nodekey.go). An untrusted row is shown so the admin sees it, but is
	// never used for subscriptions or pushes.
	Trusted bool `json:"trusted"`
}

// NodesOverview is the obj of panel/api/nodes/list.
type NodesOverview struct {
	SharedVersion int64        `json:"sharedVersion"`
	SyncInterval  int          `json:"syncInterval"`
	Nodes         []NodeStatus `json:"nodes"`
}

// ListNodes reports every node's applied version, lag and staleness.
func (n *Node) ListNodes() (*NodesOverview, error) {
	if n == nil {
		return nil, database.ErrClosed
	}
	conn, err := n.db.DB()
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
	interval := n.cfg.SyncIntervalSeconds
	now := time.Now()
	out := buildNodesOverview(version, interval, states, now.Unix())
	// Without node_keys (a schema the master has not migrated yet) every
	// row shows as untrusted rather than the list failing.
	trusted, _ := TrustedNodeStates(conn, states, true)
	ok := make(map[string]bool, len(trusted))
	for _, st := range trusted {
		ok[st.NodeID] = true
	}
	for i := range out.Nodes {
		out.Nodes[i].Trusted = ok[out.Nodes[i].NodeID]
	}
	var sums []struct {
		NodeID   string
		Up, Down int64
	}
	since := now.Truncate(time.Hour).Add(-23 * time.Hour).Unix()
	err = conn.Model(&model.NodeTrafficHour{}).Select("node_id, SUM(up) AS up, SUM(down) AS down").
		Where("hour >= ?", since).Group("node_id").Scan(&sums).Error
	if err != nil {
		return nil, err
	}
	at := make(map[string]int, len(out.Nodes))
	for i := range out.Nodes {
		at[out.Nodes[i].NodeID] = i
	}
	for _, s := range sums {
		if i, ok := at[s.NodeID]; ok {
			out.Nodes[i].Up24h, out.Nodes[i].Down24h = s.Up, s.Down
		}
	}
	return out, nil
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
	markConfigMatches(out.Nodes)
	return out
}
