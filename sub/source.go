package sub

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
	"github.com/mhsanaei/3x-ui/v2/util/loop"
)

// staleAfterSyncs matches the node list: a node whose heartbeat is older
// than this many sync intervals is left out of subscriptions.
const staleAfterSyncs = 3

// DBInbounds reads every inbound with its client stats from db.
func DBInbounds(db *database.Handle) ([]*model.Inbound, error) {
	conn := db.Current()
	if conn == nil {
		return nil, errors.New("database is closed")
	}
	var list []*model.Inbound
	err := conn.Preload("ClientStats").Order("id").Find(&list).Error
	return list, err
}

// DBLiveNodes reads the nodes with a public address and a fresh heartbeat
// whose row is signed by the node's registered key (a row forged under
// another node's id is left out). register is set on the master, which
// registers the key of a node id it sees for the first time.
func DBLiveNodes(db *database.Handle, syncInterval time.Duration, now time.Time, register bool) ([]profile.Node, error) {
	conn := db.Current()
	if conn == nil {
		return nil, errors.New("database is closed")
	}
	var states []model.NodeState
	if err := conn.Where("node_address <> ?", "").Order("node_id").Find(&states).Error; err != nil {
		return nil, err
	}
	trusted, err := cluster.TrustedNodeStates(conn, states, register)
	if err != nil {
		return nil, err
	}
	return LiveNodes(trusted, syncInterval, now), nil
}

// LiveNodes keeps the states whose heartbeat is recent enough.
func LiveNodes(states []model.NodeState, syncInterval time.Duration, now time.Time) []profile.Node {
	limit := int64(staleAfterSyncs * syncInterval / time.Second)
	var out []profile.Node
	for _, st := range states {
		if st.NodeAddress == "" || now.Unix()-st.LastHeartbeatAt > limit {
			continue
		}
		out = append(out, profile.Node{ID: st.NodeID, Address: st.NodeAddress})
	}
	return out
}

// NodeCache answers Nodes from memory and refreshes in the background, so
// a request never waits on an unreachable database; until the first
// successful read it answers Fallback (a worker's snapshot nodes).
type NodeCache struct {
	Fetch    func() ([]profile.Node, error)
	Fallback func() []profile.Node

	mu    sync.Mutex
	nodes []profile.Node
	ok    bool
}

// Refresh reads once; on error the last good list stays.
func (c *NodeCache) Refresh() error {
	nodes, err := c.Fetch()
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.nodes, c.ok = nodes, true
	c.mu.Unlock()
	return nil
}

// Run refreshes every interval until ctx ends.
func (c *NodeCache) Run(ctx context.Context, every time.Duration) {
	loop.Every(ctx, every, func() { _ = c.Refresh() })
}

// Nodes is the last good list.
func (c *NodeCache) Nodes() []profile.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ok && c.Fallback != nil {
		return c.Fallback()
	}
	return append([]profile.Node(nil), c.nodes...)
}

// FuncSource adapts two functions to Source.
type FuncSource struct {
	InboundsFunc func() ([]*model.Inbound, error)
	NodesFunc    func() []profile.Node
}

func (f FuncSource) Inbounds() ([]*model.Inbound, error) { return f.InboundsFunc() }

func (f FuncSource) Nodes() ([]profile.Node, error) {
	if f.NodesFunc == nil {
		return nil, nil
	}
	return f.NodesFunc(), nil
}
