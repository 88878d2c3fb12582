package model

// NodeState is one node's heartbeat and sync status, written by the node.
type NodeState struct {
	NodeID      string `json:"nodeId" gorm:"primaryKey;size:191"`
	NodeRole    string `json:"nodeRole" gorm:"not null"`
	NodeAddress string `json:"nodeAddress"`
	// Instance identifies the machine and data folder behind the nodeId, so
	// two live nodes configured with the same nodeId are caught at startup.
	Instance        string `json:"instance" gorm:"size:64"`
	LastSyncAt      int64  `json:"lastSyncAt"`
	LastHeartbeatAt int64  `json:"lastHeartbeatAt"`
	// LastSeenVersion is the shared version this node has actually applied.
	LastSeenVersion int64  `json:"lastSeenVersion"`
	ConfigHash      string `json:"configHash" gorm:"size:64"`
	XrayState       string `json:"xrayState" gorm:"size:32"`
	PendingDeltas   int64  `json:"pendingDeltas"`
	DroppedDeltas   int64  `json:"droppedDeltas"`
	LastError       string `json:"lastError"`
	// PushURL is where the master wakes this worker after a change
	// ("" = poll only). See cluster/nodepush.
	PushURL string `json:"pushUrl"`
	// Versions of the node's panel and Xray binary, and the traffic it has
	// journaled but not flushed yet.
	PanelVersion string `json:"panelVersion" gorm:"size:64"`
	XrayVersion  string `json:"xrayVersion" gorm:"size:64"`
	PendingBytes int64  `json:"pendingBytes"`
	// FullSyncs and DeltaSyncs count, since the node's panel started, the
	// syncs that read the whole snapshot and those that read only the
	// change log since the applied version.
	FullSyncs  int64 `json:"fullSyncs"`
	DeltaSyncs int64 `json:"deltaSyncs"`
	UpdatedAt  int64 `json:"updatedAt"`
	// PublicKey and Signature: the node signs its own row (ed25519, see
	// cluster/nodekey.go) so a worker's database account, which can write
	// this table, cannot pass off a row as another node's.
	PublicKey string `json:"publicKey" gorm:"size:64"`
	Signature string `json:"signature" gorm:"size:128"`
}

// NodeKey is the public key the master registered for a node id the first
// time it saw a validly signed row for it. Only the master writes this
// table (a worker's account may only read it), so later rows for the id
// must be signed with the same key.
type NodeKey struct {
	NodeID    string `json:"nodeId" gorm:"primaryKey;size:191"`
	PublicKey string `json:"publicKey" gorm:"size:64;not null"`
	CreatedAt int64  `json:"createdAt"`
}
