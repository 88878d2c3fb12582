package metrics

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/settings"
)

// Guard serves Next only to requests the metrics settings let in: 404
// while metrics are off (or, on the panel, while metricsOnPanel is off),
// 403 from an address outside metricsAllowFrom, 401 without the
// metricsToken bearer token. With both set, both are required. The
// source address is the connection's own, never a forwarded header.
type Guard struct {
	Settings func() settings.Metrics
	Next     http.Handler
	// Panel marks the panel's route (metricsOnPanel must be on).
	Panel bool
}

func (g Guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cfg := g.Settings()
	if !cfg.Enable || (g.Panel && !cfg.OnPanel) {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if len(cfg.AllowFrom) > 0 && !allowed(cfg.AllowFrom, r.RemoteAddr) {
		http.Error(w, "forbidden: source address not in metricsAllowFrom", http.StatusForbidden)
		return
	}
	if cfg.Token != "" && !tokenMatches(r.Header.Get("Authorization"), cfg.Token) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="x-ui metrics"`)
		http.Error(w, "unauthorized: bearer token required", http.StatusUnauthorized)
		return
	}
	g.Next.ServeHTTP(w, r)
}

func allowed(list []netip.Prefix, remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range list {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// tokenMatches compares in constant time, so the answer's timing tells
// nothing about how much of a guess was right.
func tokenMatches(header, token string) bool {
	got, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}
