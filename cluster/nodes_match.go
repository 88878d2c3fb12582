package cluster

import "github.com/mhsanaei/3x-ui/v2/config"

// markConfigMatches sets ConfigMatches on every node that has applied the
// same version as the master: the master and every worker render the same
// Xray config from the same shared version, so their hashes must agree.
func markConfigMatches(nodes []NodeStatus) {
	var master *NodeStatus
	for i := range nodes {
		if nodes[i].NodeRole == string(config.NodeRoleMaster) && nodes[i].ConfigHash != "" {
			master = &nodes[i]
		}
	}
	if master == nil {
		return
	}
	for i := range nodes {
		n := &nodes[i]
		if n.ConfigHash == "" || n.LastSeenVersion != master.LastSeenVersion {
			continue
		}
		match := n.ConfigHash == master.ConfigHash
		n.ConfigMatches = &match
	}
}
