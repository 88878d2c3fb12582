package cluster

import (
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
)

func TestMarkConfigMatches(t *testing.T) {
	row := func(id, role, hash string, version int64) NodeStatus {
		return NodeStatus{NodeState: model.NodeState{NodeID: id, NodeRole: role, ConfigHash: hash, LastSeenVersion: version}}
	}
	nodes := []NodeStatus{
		row("m", "master", "aa", 7),
		row("same", "worker", "aa", 7),
		row("drift", "worker", "bb", 7),
		row("behind", "worker", "cc", 6),
	}
	markConfigMatches(nodes)
	want := map[string]string{"m": "true", "same": "true", "drift": "false", "behind": "null"}
	for _, n := range nodes {
		got := "null"
		if n.ConfigMatches != nil {
			got = map[bool]string{true: "true", false: "false"}[*n.ConfigMatches]
		}
		if got != want[n.NodeID] {
			t.Errorf("%s: configMatches %s, want %s", n.NodeID, got, want[n.NodeID])
		}
	}
}
