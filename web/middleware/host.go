package middleware

import (
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// HostAllowList is what the Host header of a browser request may name. A
// DNS-rebinding page runs under the attacker's host name that now resolves
// to the panel: its requests carry that name as Host (and a matching
// Origin, so SameOrigin passes). Only names the admin configured are
// accepted; IP addresses and localhost always are, because a rebinding
// page cannot have an IP address or localhost as its origin.
type HostAllowList struct {
	exact    map[string]bool
	suffixes []string // "*.example.com" is stored as ".example.com"
}

// NewHostAllowList accepts names ("panel.example.com", "*.example.com");
// empty entries are skipped.
func NewHostAllowList(names ...string) *HostAllowList {
	l := &HostAllowList{exact: map[string]bool{}}
	for _, n := range names {
		n = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), ".")
		switch {
		case n == "":
		case strings.HasPrefix(n, "*."):
			l.suffixes = append(l.suffixes, n[1:])
		default:
			l.exact[strings.Trim(n, "[]")] = true
		}
	}
	return l
}

// Allows reports whether a Host header (with or without a port) names
// this panel.
func (l *HostAllowList) Allows(hostHeader string) bool {
	host := hostHeader
	if h, _, err := net.SplitHostPort(hostHeader); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" || net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if l.exact[host] {
		return true
	}
	for _, s := range l.suffixes {
		if rest, ok := strings.CutSuffix(host, s); ok && rest != "" && !strings.Contains(rest, ".") {
			return true
		}
	}
	return false
}

// AllowedHosts refuses, with 403 naming the Host and the webDomain
// setting, every request whose Host the list does not allow. Bearer-token
// requests pass: a browser never attaches a token by itself, so a
// rebinding page has none to use. Paths in exempt (exact) pass too: the
// node push route is called by the master at whatever name the worker
// registered and carries its own secret.
func AllowedHosts(l *HostAllowList, exempt ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if l.Allows(c.Request.Host) || strings.HasPrefix(c.GetHeader("Authorization"), "Bearer ") {
			c.Next()
			return
		}
		for _, p := range exempt {
			if c.Request.URL.Path == p {
				c.Next()
				return
			}
		}
		AbortJSON(c, http.StatusForbidden, "Host: "+clipHeader(c.Request.Host)+
			" is not an address of this panel; open it by IP address, or add the name to webDomain "+
			"(panel settings, or panelNetwork.webDomain in x-ui.json)")
	}
}
