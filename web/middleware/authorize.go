package middleware

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/auth"
)

// Rule is what one route needs: a permission, and how it treats principals
// narrowed to part of the data (a reseller: its own clients; an API token
// scoped to one inbound).
type Rule struct {
	Perm auth.Permission
	// Narrows: the route itself limits what it reads or writes to the
	// principal's clients and inbound (list filters, the store's scope
	// checks), so resellers and scoped tokens may use it.
	Narrows bool
	// IDParam: the route's :id is an inbound id, which a scoped token's
	// inbound must match (checked here, before the handler runs).
	IDParam bool
}

// Rules maps "METHOD path" (path relative to the panel's base path, as
// registered, e.g. "POST panel/api/inbounds/add") to the route's rule.
type Rules map[string]Rule

// RouteKey is the Rules key of method and full path under basePath.
func RouteKey(method, fullPath, basePath string) string {
	return method + " " + strings.TrimPrefix(fullPath, basePath)
}

// PrincipalOf is who the request acts as (nil before authentication or
// without a principal): user id, username, role, token id and scope. The
// audit log records "who, role" from it.
func PrincipalOf(c *gin.Context) *auth.Principal {
	if v, ok := c.Get(KeyPrincipal); ok {
		if p, ok := v.(*auth.Principal); ok {
			return p
		}
	}
	return nil
}

// Authorize enforces rules on every route of the groups it guards; it runs
// after API(). A route missing from rules is refused (fail closed), and a
// test walks the registered routes so none is missing. Refusals are 403
// with the envelope and a message naming the permission.
func Authorize(rules Rules, basePath string) gin.HandlerFunc {
	return func(c *gin.Context) {
		key := RouteKey(c.Request.Method, c.FullPath(), basePath)
		rule, known := rules[key]
		if !known {
			AbortJSON(c, http.StatusForbidden, "no permission is mapped for "+key+"; refused")
			return
		}
		p := PrincipalOf(c)
		if p == nil {
			AbortJSON(c, http.StatusForbidden, "permission "+string(rule.Perm)+" required: no role could be loaded for this request")
			return
		}
		if !p.Can(rule.Perm) {
			AbortJSON(c, http.StatusForbidden, "permission "+string(rule.Perm)+" required: role "+string(p.Role)+" does not have it")
			return
		}
		if p.IsReseller() && !rule.Narrows {
			AbortJSON(c, http.StatusForbidden, "permission "+string(rule.Perm)+" required for every client: a reseller may only use routes limited to its own clients")
			return
		}
		if scope := p.InboundScope(); scope != 0 {
			switch {
			case rule.IDParam:
				if id, err := strconv.Atoi(c.Param("id")); err != nil || id != scope {
					AbortJSON(c, http.StatusForbidden, "scope: this API token is limited to inbound "+strconv.Itoa(scope)+", not "+c.Param("id"))
					return
				}
			case !rule.Narrows:
				AbortJSON(c, http.StatusForbidden, "scope: this API token is limited to inbound "+strconv.Itoa(scope)+" and cannot use "+key)
				return
			}
		}
		c.Next()
	}
}
