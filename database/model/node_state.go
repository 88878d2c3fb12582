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
	// ("" = poll only). See web/nodepush.
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
}
