package multinode

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
)

// TestPushWakesWorkerAndPollConverges: with syncInterval 30 s the master's
// wake-up push brings each change to the worker (the worker's own poll
// would not run again within the test's wait); a push without the cluster
// secret is refused; with the push blocked by a firewall rule in the
// master's namespace (dropping its packets towards the worker's panel) the
// worker still converges by polling.
func TestPushWakesWorkerAndPollConverges(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database and x-ui processes
	c, w, relay := newRelayedWorker(t, nodeOptions{syncSeconds: 30, flushSeconds: 1})
	payload := payloadOn(t, w.host)

	// The worker has synced once at start; everything below arrives by push.
	base := vlessClient("base@push", nil)
	inboundID := c.addVLESSInbound(inboundPort, base)
	baseSocks := proxyVia(t, w.host, inboundPort, base)
	if !waitFor(20*time.Second, func() bool { return canDownload(baseSocks, payload+"/bytes?n=1") }) {
		t.Fatal("new inbound never reached the worker (push)")
	}
	var lat []time.Duration
	for i := 0; i < 5; i++ {
		client := vlessClient(fmt.Sprintf("push%d@push", i), nil)
		socks := proxyVia(t, w.host, inboundPort, client)
		start := time.Now()
		c.addClient(inboundID, client)
		if !waitFor(20*time.Second, func() bool { return canDownload(socks, payload+"/bytes?n=1") }) {
			t.Fatalf("client %d never reached the worker by push", i)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("with push (syncInterval 30s): median %v, max %v", lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))

	// A push without the secret changes nothing and is refused.
	req, _ := http.NewRequest(http.MethodPost, w.panelURL()+"node/sync", strings.NewReader(`{"version":1}`))
	req.Header.Set("X-XUI-Node-Secret", "guess")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("push with a wrong secret: HTTP %d, want 403", resp.StatusCode)
	}

	// Push blocked by a firewall: the worker converges on its next poll.
	c.master.host.dropTCPTo(t, relay.addr)
	if c.master.host.tcpConnects(relay.addr) {
		t.Fatal("the firewall rule did not block the master's push path")
	}
	late := vlessClient("late@push", nil)
	lateSocks := proxyVia(t, w.host, inboundPort, late)
	start := time.Now()
	c.addClient(inboundID, late)
	if !waitFor(45*time.Second, func() bool { return canDownload(lateSocks, payload+"/bytes?n=1") }) {
		t.Fatal("with the push blocked the worker never converged by polling")
	}
	t.Logf("push blocked: converged by poll after %v (syncInterval 30s)", time.Since(start).Round(time.Millisecond))
}

// newRelayedWorker starts a master and one worker whose wake-up pushes go
// through a relay: namespaces only reach the root namespace, so the
// master reaches the worker's panel through this relay on its own link.
func newRelayedWorker(t testing.TB, opts nodeOptions) (*cluster, *node, *dbProxy) {
	t.Helper()
	c := newCluster(t, 0, opts)
	w := newNode(t, c, "w1", config.NodeRoleWorker, opts)
	relay := startDBProxy(t, c.master.host.hostIP+":0", fmt.Sprintf("%s:%d", w.host.nsIP, panelPort))
	w.env = []string{"XUI_NODE_PUSH_URL=http://" + relay.addr + "/"}
	w.start(c)
	c.workers = append(c.workers, w)
	return c, w, relay
}
