package model

// TrafficFlushLedger is the last traffic batch sequence a node has applied;
// a batch with seq <= LastSeq is a re-send and is skipped.
type TrafficFlushLedger struct {
	NodeID    string `json:"nodeId" gorm:"primaryKey;size:191"`
	LastSeq   int64  `json:"lastSeq" gorm:"not null;default:0"`
	UpdatedAt int64  `json:"updatedAt"`
}

// TableName keeps the table name the design documents.
func (TrafficFlushLedger) TableName() string { return "traffic_flush_ledger" }

// NodeClientTraffic is one node's share of a client's traffic.
type NodeClientTraffic struct {
	NodeID string `json:"nodeId" gorm:"primaryKey;size:191"`
	Email  string `json:"email" gorm:"primaryKey;size:255"`
	Up     int64  `json:"up" gorm:"not null;default:0"`
	Down   int64  `json:"down" gorm:"not null;default:0"`
}
