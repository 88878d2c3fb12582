package middleware

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// SameOrigin refuses a browser write (login, logout or any cookie-carried
// POST/PUT/DELETE) whose Origin, or failing that Referer, names another
// host than the one the request was sent to. Bearer-token calls and
// clients that send neither header (curl, scripts) pass: the CSRF token
// still guards cookie writes.
func SameOrigin() gin.HandlerFunc {
	return func(c *gin.Context) {
		if isSafeMethod(c.Request.Method) || strings.HasPrefix(c.GetHeader("Authorization"), "Bearer ") {
			c.Next()
			return
		}
		src := c.GetHeader("Origin")
		if src == "" {
			src = c.GetHeader("Referer")
		}
		if src == "" {
			c.Next()
			return
		}
		u, err := url.Parse(src)
		if err != nil || src == "null" || !strings.EqualFold(u.Host, c.Request.Host) {
			AbortJSON(c, http.StatusForbidden, "cross-origin request refused: Origin/Referer "+clipHeader(src)+" is not this panel ("+clipHeader(c.Request.Host)+")")
			return
		}
		c.Next()
	}
}

func clipHeader(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
