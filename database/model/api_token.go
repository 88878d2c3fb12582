package model

// APIToken is a bearer token for scripts. Only the sha256 of the token is
// stored; the token itself is shown once when it is created. The table
// holds 3x-ui v3's columns (name, token, enabled, created_at in seconds),
// so a v3 row authenticates here, plus the project's own (user_id, prefix,
// last_used_at, expires_at), which a v3 row leaves at zero.
type APIToken struct {
	Id     int    `json:"id" gorm:"primaryKey;autoIncrement"`
	UserId int    `json:"userId" gorm:"index"`
	Name   string `json:"name" gorm:"size:100"`
	// Token is the lowercase hex sha256 of the token (v3's column; it was
	// token_hash before, see database.migrateAPITokens).
	Token string `json:"-" gorm:"column:token;size:64;uniqueIndex"`
	// Enabled false refuses the token without deleting it (v3's flag).
	// The column's default is false, not v3's true: GORM leaves a zero
	// field out of an INSERT when the column has a default, so with true a
	// disabled token would come back enabled from a backup or a copy.
	// Rows from before the column existed are enabled by the migration.
	Enabled bool `json:"enabled" gorm:"not null;default:false"`
	// Prefix is the token's first characters, so a list can tell tokens apart.
	Prefix     string `json:"prefix" gorm:"size:16"`
	CreatedAt  int64  `json:"createdAt"`
	LastUsedAt int64  `json:"lastUsedAt"`
	// ExpiresAt is when the token stops working (unix seconds; 0 = never).
	ExpiresAt int64 `json:"expiresAt" gorm:"not null;default:0"`
	// Role caps what the token may do (auth.Role); it never exceeds the
	// role of the user who made it. The default owner keeps 3x-ui v3's
	// tokens and those made before roles existed at full access.
	Role string `json:"role" gorm:"size:16;not null;default:owner"`
	// ScopeKind and ScopeID narrow the token to one object: "" (none) or
	// "inbound" with the inbound's id. The kind is a column of its own so
	// a later scope (a group of clients) is a new kind, not a new schema.
	ScopeKind string `json:"scopeKind" gorm:"size:16;not null;default:''"`
	ScopeID   int    `json:"scopeId" gorm:"not null;default:0"`
}
