package middleware

import (
	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/audit"
)

// OwnerRole is every admin's role until admins get roles of their own.
const OwnerRole = "owner"

// Actor is who an authenticated request writes for, as the audit log
// records it: the session's admin, or the admin owning the API token; the
// source IP (gin's ClientIP: the peer address, as the handler trusts no
// forwarding headers) and the request's method and route pattern (not
// the path: 3x-ui's client routes carry the client's UUID or password in
// it). It is the one place that knows how a request names its principal.
func Actor(c *gin.Context) audit.Actor {
	a := audit.Actor{Kind: audit.KindUser, UserID: UserID(c), Role: OwnerRole, IP: c.ClientIP()}
	if c.Request != nil {
		a.Route = c.Request.Method + " " + c.FullPath()
	}
	if id := c.GetInt(KeyTokenID); id != 0 {
		a.Kind, a.TokenID = audit.KindToken, id
	}
	return a
}
