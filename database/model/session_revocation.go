package model

// SessionRevocation is a logged-out session: its cookie is refused by
// every node until it would have expired anyway, when the row is pruned.
// It lives in the shared database so a logout on any node holds on all of
// them and survives restarts.
type SessionRevocation struct {
	SessionID string `json:"sessionId" gorm:"primaryKey;size:64"`
	ExpiresAt int64  `json:"expiresAt" gorm:"not null;index"` // unix seconds
}
