package model

// Kinds of SharedChange.
const (
	// ChangeInbound: the inbound row changed (or was deleted); reread it.
	ChangeInbound = "inbound"
	// ChangeClient: one client of InboundId is now Client (stored settings
	// JSON), replacing the client named OldEmail or Email; an empty Client
	// removes it.
	ChangeClient = "client"
)

// SharedChange is one entry of the change log written in the same
// transaction as a shared-version bump, so a worker at version v can fetch
// only what changed since v. A version with no entry (settings, template,
// traffic rules) means "reload the full snapshot".
type SharedChange struct {
	Id        int64  `json:"id" gorm:"primaryKey;autoIncrement"`
	Version   int64  `json:"version" gorm:"not null;index"`
	Kind      string `json:"kind" gorm:"size:16;not null"`
	InboundId int    `json:"inboundId" gorm:"not null"`
	Email     string `json:"email" gorm:"size:255;not null;default:''"`
	OldEmail  string `json:"oldEmail" gorm:"size:255;not null;default:''"`
	Client    string `json:"client" gorm:"type:text"`
}
