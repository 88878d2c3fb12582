package app

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/mhsanaei/3x-ui/v2/config"
)

// pushReceiver is set on a worker in shared mode; elsewhere the wake-up
// route answers 404.
type pushSlot struct{ h atomic.Pointer[http.Handler] }

func (p *pushSlot) set(h http.Handler) { p.h.Store(&h) }

func (p *pushSlot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := p.h.Load()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	(*h).ServeHTTP(w, r)
}

// pushURL is where the master reaches this worker's panel: the
// XUI_NODE_PUSH_URL override (NAT, reverse proxy), else nodeAddress with
// the panel's port and base path; "" (no nodeAddress) means poll only.
func pushURL(node config.NodeConfig, panel config.PanelConfig) string {
	if v := os.Getenv("XUI_NODE_PUSH_URL"); v != "" {
		return v
	}
	if node.NodeAddress == "" {
		return ""
	}
	scheme := "http"
	if panel.CertFile != "" && panel.KeyFile != "" {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(node.NodeAddress, strconv.Itoa(panel.Port)),
		config.NormalizeBasePath(panel.BasePath))
}
