package middleware

import (
	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/audit"
)

// Actor is who an authenticated request writes for, as the audit log
// records it: the session's admin, or the admin owning the API token, with
// the effective role Authorize checked (a token's, never above its
// maker's: PrincipalOf); the source IP (gin's ClientIP: the peer address,
// as the handler trusts no forwarding headers) and the request's method
// and route pattern (not the path: 3x-ui's client routes carry the
// client's UUID or password in it). It is the one place that knows how a
// request names its principal.
func Actor(c *gin.Context) audit.Actor {
	a := audit.Actor{Kind: audit.KindUser, UserID: UserID(c), IP: c.ClientIP()}
	if p := PrincipalOf(c); p != nil {
		a.Role, a.Name = string(p.Role), p.Username
	}
	if c.Request != nil {
		a.Route = c.Request.Method + " " + c.FullPath()
	}
	if id := c.GetInt(KeyTokenID); id != 0 {
		a.Kind, a.TokenID = audit.KindToken, id
	}
	return a
}
