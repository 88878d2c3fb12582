// Package model holds the panel's gorm models.
package model

// Protocol is an inbound's Xray protocol name.
type Protocol string

const (
	VLESS       Protocol = "vless"
	VMESS       Protocol = "vmess"
	Trojan      Protocol = "trojan"
	Shadowsocks Protocol = "shadowsocks"
)

// User is a panel administrator. Password holds a bcrypt hash.
type User struct {
	Id       int    `json:"id" gorm:"primaryKey;autoIncrement"`
	Username string `json:"username" gorm:"size:255;uniqueIndex"`
	Password string `json:"-"`
	// DefaultCredential is true while the seeded admin/admin login is unchanged.
	DefaultCredential bool   `json:"defaultCredential"`
	TwoFactorSecret   string `json:"-" gorm:"size:64"`
	// SessionEpoch is part of every session's credential: logout bumps it,
	// so revocations survive restarts and hold on every node's panel.
	SessionEpoch int64 `json:"-" gorm:"not null;default:0"`
	// TOTPLastStep is the time step of the last accepted two-factor code;
	// a code of that step or an earlier one is refused (single use).
	TOTPLastStep int64 `json:"-" gorm:"column:totp_last_step;not null;default:0"`
	// Role is owner, admin, operator, viewer or reseller (see auth.Role).
	// The column's default is owner so AutoMigrate turns every user of an
	// older database (one admin, who could do everything) into an owner;
	// code that adds a user always sets the role, never leaves it empty.
	Role string `json:"role" gorm:"size:16;not null;default:owner"`
	// MaxClients and MaxTrafficBytes are a reseller's allowance: how many
	// clients it may own, and the sum of their traffic quotas (totalGB,
	// bytes). Other roles ignore them.
	MaxClients      int   `json:"maxClients" gorm:"not null;default:0"`
	MaxTrafficBytes int64 `json:"maxTrafficBytes" gorm:"not null;default:0"`
}

// Inbound is one Xray inbound with its 3x-ui fields. Settings, StreamSettings
// and Sniffing are raw JSON as the UI and API exchange them.
type Inbound struct {
	Id          int             `json:"id" form:"id" gorm:"primaryKey;autoIncrement"`
	UserId      int             `json:"-"`
	Up          int64           `json:"up" form:"up"`
	Down        int64           `json:"down" form:"down"`
	Total       int64           `json:"total" form:"total"`
	AllTime     int64           `json:"allTime" form:"allTime" gorm:"default:0"`
	Remark      string          `json:"remark" form:"remark"`
	Enable      bool            `json:"enable" form:"enable"`
	ExpiryTime  int64           `json:"expiryTime" form:"expiryTime"`
	ClientStats []ClientTraffic `json:"clientStats" form:"clientStats" gorm:"foreignKey:InboundId;references:Id"`

	Listen         string   `json:"listen" form:"listen"`
	Port           int      `json:"port" form:"port"`
	Protocol       Protocol `json:"protocol" form:"protocol"`
	Settings       string   `json:"settings" form:"settings"`
	StreamSettings string   `json:"streamSettings" form:"streamSettings"`
	Tag            string   `json:"tag" form:"tag" gorm:"size:255;unique"`
	Sniffing       string   `json:"sniffing" form:"sniffing"`

	// TrafficReset is upstream 3x-ui's periodic reset of the inbound's
	// client counters: never, daily, weekly or monthly.
	TrafficReset         string `json:"trafficReset" form:"trafficReset" gorm:"size:16;default:never"`
	LastTrafficResetTime int64  `json:"lastTrafficResetTime" form:"lastTrafficResetTime" gorm:"default:0"` // unix ms
}

// OutboundTraffics counts traffic per outbound tag.
type OutboundTraffics struct {
	Id    int    `json:"id" gorm:"primaryKey;autoIncrement"`
	Tag   string `json:"tag" gorm:"size:255;unique"`
	Up    int64  `json:"up" gorm:"default:0"`
	Down  int64  `json:"down" gorm:"default:0"`
	Total int64  `json:"total" gorm:"default:0"`
}

// Setting is one shared key/value setting (Xray template, limits, ...).
type Setting struct {
	Id    int    `json:"id" gorm:"primaryKey;autoIncrement"`
	Key   string `json:"key" gorm:"size:255;unique"`
	Value string `json:"value"`
}

// InboundClientIps records the source IPs seen for a client (JSON list).
type InboundClientIps struct {
	Id          int    `json:"id" gorm:"primaryKey;autoIncrement"`
	ClientEmail string `json:"clientEmail" gorm:"size:255;unique"`
	Ips         string `json:"ips"`
}

// HistoryOfSeeders records which one-off data seeders already ran.
type HistoryOfSeeders struct {
	Id         int    `json:"id" gorm:"primaryKey;autoIncrement"`
	SeederName string `json:"seederName" gorm:"size:255;unique"`
}
