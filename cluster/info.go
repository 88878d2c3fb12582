package cluster

import "github.com/mhsanaei/3x-ui/v2/config"

// NodeInfo is what the UI needs to know about this node's role.
type NodeInfo struct {
	Role        string `json:"role"`
	NodeID      string `json:"nodeId"`
	NodeAddress string `json:"nodeAddress"`
	// ReadOnly is true on a worker: shared accounts change only on the master.
	ReadOnly bool `json:"readOnly"`
	// MasterAddress is where changes are made: this node's own address on a
	// master, node_states' newest master row on a worker (best effort, may
	// be empty).
	MasterAddress string `json:"masterAddress"`
	// PanelVersion lets a single node's Nodes page show what it runs
	// (it has no node_states row to read it from).
	PanelVersion string `json:"panelVersion"`
}

// Info is this node's role and, on a worker, the master's address.
func (n *Node) Info() NodeInfo {
	node := n.Config()
	info := NodeInfo{
		Role:         string(node.Role),
		NodeID:       node.NodeID,
		NodeAddress:  node.NodeAddress,
		ReadOnly:     node.Role == config.NodeRoleWorker,
		PanelVersion: config.GetVersion(),
	}
	if info.ReadOnly {
		info.MasterAddress = n.masterAddress()
	} else {
		info.MasterAddress = node.NodeAddress
	}
	return info
}
