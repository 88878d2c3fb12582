package model

// SharedState is a named shared counter, e.g. shared_accounts_version.
type SharedState struct {
	Key       string `json:"key" gorm:"primaryKey;size:191"`
	Version   int64  `json:"version" gorm:"not null;default:0"`
	UpdatedAt int64  `json:"updatedAt"`
}
