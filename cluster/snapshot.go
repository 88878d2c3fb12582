package cluster

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/util/atomicfile"
)

// Snapshot is everything a worker needs to rebuild its Xray
// with the database unreachable: the inbounds with their clients and client
// enable states (ClientStats), and the Xray template.
type Snapshot struct {
	Version      int64            `json:"version"`
	GeneratedAt  int64            `json:"generatedAt,omitempty"`
	XrayTemplate string           `json:"xrayTemplate,omitempty"`
	Inbounds     []*model.Inbound `json:"inbounds"`
	// Nodes are the live node addresses, for subscriptions rendered on workers.
	Nodes []SnapshotNode `json:"nodes,omitempty"`
	// Seal authenticates the cached file (see SealSnapshot).
	Seal string `json:"seal,omitempty"`
}

// SnapshotNode is one node's public address at snapshot time.
type SnapshotNode struct {
	NodeID  string `json:"nodeId"`
	Address string `json:"address"`
}

// LoadSnapshot reads a cached snapshot.
func LoadSnapshot(path string) (*Snapshot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	snapshot := &Snapshot{}
	if err := json.Unmarshal(data, snapshot); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return snapshot, nil
}

// SaveSnapshot writes the snapshot atomically, so a crash
// leaves the previous good cache in place.
func SaveSnapshot(path string, snapshot *Snapshot) error {
	data, err := json.Marshal(snapshot)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o600)
}

// SealSnapshot signs snapshot for the cache: Seal is an HMAC-SHA256 of the
// snapshot's JSON (with Seal empty) keyed with the cluster secret, which
// lives in the shared database and never on the worker's disk. A
// shared-cache.json edited on the worker then fails OpenSnapshot while
// the database is reachable.
func SealSnapshot(snapshot *Snapshot, key string) error {
	mac, err := snapshotMAC(snapshot, key)
	if err == nil {
		snapshot.Seal = mac
	}
	return err
}

// SnapshotSealed reports whether snapshot carries a valid seal for key.
func SnapshotSealed(snapshot *Snapshot, key string) bool {
	if key == "" || snapshot.Seal == "" {
		return false
	}
	want, err := snapshotMAC(snapshot, key)
	return err == nil && hmac.Equal([]byte(want), []byte(snapshot.Seal))
}

func snapshotMAC(snapshot *Snapshot, key string) (string, error) {
	unsealed := *snapshot
	unsealed.Seal = ""
	data, err := json.Marshal(&unsealed)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write(data)
	return hex.EncodeToString(m.Sum(nil)), nil
}
