package model

// ClientOwner records which reseller made a client. Clients live inside
// their inbound's settings JSON; this row ties one of them (by email, which
// is unique across inbounds, stored lowercased) to the reseller user who
// owns it. Rows are written in the same transaction as the client write;
// clients that owners, admins and operators make have no row.
type ClientOwner struct {
	Email  string `json:"email" gorm:"primaryKey;size:255"`
	UserId int    `json:"userId" gorm:"not null;index"`
}
