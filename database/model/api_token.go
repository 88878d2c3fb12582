package model

// APIToken is a bearer token for scripts. Only the sha256 of the token is
// stored; the token itself is shown once when it is created.
type APIToken struct {
	Id     int    `json:"id" gorm:"primaryKey;autoIncrement"`
	UserId int    `json:"userId" gorm:"index"`
	Name   string `json:"name" gorm:"size:100"`
	// TokenHash is the hex sha256 of the token.
	TokenHash string `json:"-" gorm:"size:64;uniqueIndex"`
	// Prefix is the token's first characters, so a list can tell tokens apart.
	Prefix     string `json:"prefix" gorm:"size:16"`
	CreatedAt  int64  `json:"createdAt"`
	LastUsedAt int64  `json:"lastUsedAt"`
	// ExpiresAt is when the token stops working (unix seconds; 0 = never).
	ExpiresAt int64 `json:"expiresAt" gorm:"not null;default:0"`
}
