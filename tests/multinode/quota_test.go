package multinode

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// TestQuotaHoldsAcrossWorkers: one client with a 50 MB quota downloads
// through two workers at once. The master reconciles the traffic both
// flushed, disables the client, and every worker refuses it at its next
// sync. The overshoot is what the client could move during one traffic
// tick, one flush, one reconcile and one sync interval.
func TestQuotaHoldsAcrossWorkers(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database and x-ui processes
	const (
		quota     = 50 << 20
		chunk     = 512 << 10
		rate      = 2 << 20 // bytes per second per worker
		syncSecs  = 2
		flushSecs = 1
	)
	c := newCluster(t, 2, nodeOptions{syncSeconds: syncSecs, flushSeconds: flushSecs})
	client := vlessClient("quota@mn", map[string]any{"totalGB": quota})
	c.addVLESSInbound(inboundPort, client)

	var moved atomic.Int64
	var wg sync.WaitGroup
	stopped := make([]time.Time, len(c.workers))
	start := time.Now()
	for i, w := range c.workers {
		payload := payloadOn(t, w.host)
		socks := proxyVia(t, w.host, inboundPort, client)
		if !waitFor(15*time.Second, func() bool { return canDownload(socks, payload+"/bytes?n=1") }) {
			t.Fatalf("%s never served the client", w.name)
		}
		wg.Add(1)
		go func(i int, socks, payload string) {
			defer wg.Done()
			// New connection per chunk: a disabled client is refused at its
			// next connection (Xray keeps established ones).
			deadline := time.Now().Add(90 * time.Second)
			for time.Now().Before(deadline) {
				n, err := xraytest.DownloadWithin(socks, fmt.Sprintf("%s/slow?n=%d&rate=%d", payload, chunk, rate), 5*time.Second)
				moved.Add(n)
				if err != nil && n == 0 {
					stopped[i] = time.Now()
					return
				}
			}
		}(i, socks, payload)
	}
	wg.Wait()
	for i, w := range c.workers {
		if stopped[i].IsZero() {
			t.Fatalf("%s kept serving the client past its quota", w.name)
		}
	}
	var ct xray.ClientTraffic
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c.conn.Where("email = ?", "quota@mn").First(&ct)
		if !ct.Enable {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if ct.Enable {
		t.Fatalf("client over quota still enabled: %+v", ct)
	}
	used := ct.Up + ct.Down
	overshoot := used - quota
	// Two workers at `rate` each, for a traffic tick + flush (both the
	// flush interval here), a reconcile (flush interval) and a sync.
	window := time.Duration(3*flushSecs+syncSecs) * time.Second
	bound := int64(2*rate) * int64(window/time.Second)
	t.Logf("quota %d MB: used %d bytes, overshoot %.2f MB, bound %.2f MB (2 workers x %d MB/s x %v); refused after %v",
		quota>>20, used, float64(overshoot)/(1<<20), float64(bound)/(1<<20), rate>>20, window,
		stopped[0].Sub(start).Round(100*time.Millisecond))
	if used < quota {
		t.Fatalf("client disabled before reaching its quota: used %d", used)
	}
	if overshoot > bound+2*chunk {
		t.Fatalf("overshoot %d exceeds the bound %d (+ one chunk per worker in flight)", overshoot, bound)
	}
	for _, w := range c.workers {
		socks := proxyVia(t, w.host, inboundPort, client)
		if canDownload(socks, payloadOn(t, w.host)+"/bytes?n=1") {
			t.Fatalf("%s still accepts the disabled client", w.name)
		}
	}
}
