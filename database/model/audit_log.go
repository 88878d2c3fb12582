package model

// AuditLog is one write made through the API, the UI, the CLI or the bot
// (package audit). It is inserted in the transaction of the write it
// describes, so a rolled-back write leaves no row.
type AuditLog struct {
	Id int64 `json:"id" gorm:"primaryKey;autoIncrement"`
	At int64 `json:"at" gorm:"not null;index"` // unix milliseconds
	// ActorKind is user, token, cli, bot or system; ActorID is the user
	// id (user, token), the OS user (cli) or the chat id (bot).
	ActorKind string `json:"actorKind" gorm:"size:16;not null;index:idx_audit_actor,priority:1"`
	ActorID   string `json:"actorId" gorm:"size:64;not null;default:'';index:idx_audit_actor,priority:2"`
	ActorName string `json:"actorName" gorm:"size:128;not null;default:''"`
	Role      string `json:"role" gorm:"size:32;not null;default:''"`
	TokenID   int    `json:"tokenId" gorm:"not null;default:0"`
	SourceIP  string `json:"sourceIp" gorm:"column:source_ip;size:64;not null;default:''"`
	NodeID    string `json:"nodeId" gorm:"size:191;not null;default:''"`
	// Route is "POST /panel/api/inbounds/add" or the CLI command.
	Route      string `json:"route" gorm:"size:255;not null;default:''"`
	Action     string `json:"action" gorm:"size:64;not null;index"`
	TargetKind string `json:"targetKind" gorm:"size:32;not null;default:'';index:idx_audit_target,priority:1"`
	TargetID   string `json:"targetId" gorm:"size:191;not null;default:'';index:idx_audit_target,priority:2"`
	// Changes is a JSON array of {field, before, after}, secrets masked,
	// at most audit.MaxChangesBytes long.
	Changes string `json:"changes" gorm:"type:text"`
}

// TableName keeps the table name.
func (AuditLog) TableName() string { return "audit_log" }
