package middleware

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// CSPNonceKey is the gin context key of this response's script nonce;
// server-rendered pages put it on their <script> tags.
const CSPNonceKey = "cspNonce"

// Body limits: url-encoded forms follow Go's own 10 MB form cap (beyond it
// ParseForm drops the fields and the handler would blame a missing one);
// JSON may carry a large inbound; a backup upload may be bigger still.
const (
	MaxFormBody   = 10 << 20
	MaxJSONBody   = 64 << 20
	MaxUploadBody = 512 << 20
	MaxBackupBody = 1<<30 + 1<<20 // importDB: a 1 GiB backup plus multipart framing
)

func securityHeaders(c *gin.Context) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	nonce := hex.EncodeToString(b[:]) // hex: nothing for html/template to escape
	c.Set(CSPNonceKey, nonce)
	h := c.Writer.Header()
	// No inline scripts except the server pages' own, by nonce.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+nonce+"'; "+
		"style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; "+
		"base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if c.Request.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.Next()
}

// BodyLimit answers 413 for a body over its limit (by Content-Length, or
// as soon as a chunked body passes it).
func BodyLimit() gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := int64(MaxJSONBody)
		ct := c.GetHeader("Content-Type")
		switch {
		case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
			limit = MaxFormBody
		case strings.HasPrefix(ct, "multipart/form-data"):
			limit = MaxUploadBody
		}
		if strings.HasSuffix(c.Request.URL.Path, "/importDB") {
			limit = MaxBackupBody
		}
		if c.Request.ContentLength > limit {
			c.Header("Connection", "close")
			AbortJSON(c, http.StatusRequestEntityTooLarge, "body: larger than the limit of "+formatMB(limit))
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

func formatMB(n int64) string {
	return itoa64(n>>20) + " MB"
}

func itoa64(n int64) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
