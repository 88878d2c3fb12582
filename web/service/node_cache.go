package service

import "github.com/mhsanaei/3x-ui/v2/cluster"

// SharedAccountsSnapshot is what a worker rebuilds its Xray from (see
// cluster.Snapshot).
type SharedAccountsSnapshot = cluster.Snapshot

// SnapshotNode is one node's public address at snapshot time.
type SnapshotNode = cluster.SnapshotNode

// LoadSharedAccountsSnapshot reads a cached snapshot.
func LoadSharedAccountsSnapshot(path string) (*SharedAccountsSnapshot, error) {
	return cluster.LoadSnapshot(path)
}

// SaveSharedAccountsSnapshot writes the snapshot atomically.
func SaveSharedAccountsSnapshot(path string, snapshot *SharedAccountsSnapshot) error {
	return cluster.SaveSnapshot(path, snapshot)
}
