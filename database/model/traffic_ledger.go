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

// NodeTrafficHour is one node's client traffic flushed within one hour
// (Hour is the unix time the hour starts), for the nodes page's last-24-h
// column. Rows older than a week are pruned by the node's own flushes.
type NodeTrafficHour struct {
	NodeID string `json:"nodeId" gorm:"primaryKey;size:191"`
	Hour   int64  `json:"hour" gorm:"primaryKey;autoIncrement:false"`
	Up     int64  `json:"up" gorm:"not null;default:0"`
	Down   int64  `json:"down" gorm:"not null;default:0"`
}
