package model

// SharedState is a named shared counter, e.g. shared_accounts_version. The
// master lease row uses Version as its expiry (unix seconds) and Holder as
// the owning master's identity.
type SharedState struct {
	Key       string `json:"key" gorm:"primaryKey;size:191"`
	Version   int64  `json:"version" gorm:"not null;default:0"`
	Holder    string `json:"holder" gorm:"size:191;not null;default:''"`
	UpdatedAt int64  `json:"updatedAt"`
}
