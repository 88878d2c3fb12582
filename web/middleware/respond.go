// Package middleware holds the panel's gin middleware: authentication
// (session cookie or API token), CSRF, login rate limiting and gzip.
package middleware

import "github.com/gin-gonic/gin"

// AbortJSON stops the chain with a failed 3x-ui envelope.
func AbortJSON(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"success": false, "msg": msg, "obj": nil})
}

// SecurityHeaders sets headers every panel response should carry: CSP
// (scripts by nonce only), nosniff, no framing, same-origin referrers, and
// HSTS when served over TLS.
func SecurityHeaders() gin.HandlerFunc { return securityHeaders }
