package multinode

import (
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// BenchmarkPropagation20k: a master and a worker in their own network
// namespaces, 20,000 clients over 20 VLESS inbounds, syncInterval 30 s.
// 200 client changes (adds, id changes, disables, deletes) are made on the
// master while a download streams through the worker; for each, the time
// from the master's API answer until the worker's Xray accepts (or
// refuses) that client. Then, with the push path cut, a few adds that
// only the worker's poll can bring. Reported: p50/p95/max per path, the
// worker's Xray restarts and interrupted transfers (both must be 0).
//
//	go test -run '^$' -bench Propagation20k -benchtime 1x -timeout 30m ./tests/multinode/
func BenchmarkPropagation20k(b *testing.B) {
	const inbounds, perInbound, changes, blocked = 20, 1000, 200, 6
	c, w, relay := newRelayedWorker(b, nodeOptions{syncSeconds: 30, flushSeconds: 5})
	payload := payloadOn(b, w.host)

	ids := make([]int, inbounds)
	var base map[string]any
	for i := range ids {
		list := make([]map[string]any, perInbound)
		for j := range list {
			list[j] = vlessClient(fmt.Sprintf("p%02d-%04d@bench", i, j), nil)
		}
		if i == 0 {
			base = list[0]
		}
		ids[i] = c.addVLESSInbound(inboundPort+i, list...)
	}
	baseSocks := proxyVia(b, w.host, inboundPort, base)
	if !waitFor(60*time.Second, func() bool { return canDownload(baseSocks, payload+"/bytes?n=1") }) {
		b.Fatal("the worker never served the 20,000-client inbounds")
	}
	stream := xraytest.StartDownload(baseSocks, fmt.Sprintf("%s/slow?n=%d&rate=%d", payload, 1<<30, 128<<10))
	defer stream.Stop()
	if !stream.WaitBytes(64<<10, 10*time.Second) {
		b.Fatalf("stream did not start: %v", stream.Err())
	}
	pid := w.xrayPid()

	// probe measures from now until the worker's answer for client is want.
	probe := func(client map[string]any, want bool, change func()) time.Duration {
		port := inboundPort + client["inbound"].(int)
		socks, stop := xraytest.StartClient(b, xraytest.VLESSOutboundTo(w.host.nsIP, port, client["id"].(string)), "")
		defer stop()
		change()
		start := time.Now()
		if !waitFor(45*time.Second, func() bool { return canDownload(socks, payload+"/bytes?n=1") == want }) {
			b.Fatalf("client %s never became %v on the worker", client["email"], want)
		}
		return time.Since(start)
	}
	b.ResetTimer()
	var pushed []time.Duration
	var live []map[string]any
	for n := 0; n < changes; n++ {
		i := n % inbounds
		switch {
		case n%4 == 1 && len(live) > 0: // new id for a live client
			old := live[len(live)-1]
			next := vlessClient(old["email"].(string), map[string]any{"inbound": old["inbound"]})
			live[len(live)-1] = next
			pushed = append(pushed, probe(next, true, func() { c.setClient(ids[next["inbound"].(int)], old["id"].(string), clientBody(next)) }))
		case n%4 == 2 && len(live) > 0: // disable
			victim := live[len(live)-1]
			live = live[:len(live)-1]
			victim["enable"] = false
			pushed = append(pushed, probe(victim, false, func() { c.setClient(ids[victim["inbound"].(int)], victim["id"].(string), clientBody(victim)) }))
		case n%4 == 3 && len(live) > 0: // delete
			victim := live[0]
			live = live[1:]
			pushed = append(pushed, probe(victim, false, func() {
				c.api.mustOK(http.MethodPost, fmt.Sprintf("inbounds/%d/delClient/%s", ids[victim["inbound"].(int)], victim["id"]), nil)
			}))
		default: // add
			client := vlessClient(fmt.Sprintf("new%03d@bench", n), map[string]any{"inbound": i})
			live = append(live, client)
			pushed = append(pushed, probe(client, true, func() { c.addClient(ids[i], clientBody(client)) }))
		}
	}
	restarts := 0
	if w.xrayPid() != pid {
		restarts = 1
	}
	interrupted := 0
	if !stream.Flowing(5 * time.Second) {
		interrupted = 1
	}
	relay.Cut()
	var polled []time.Duration
	for n := 0; n < blocked; n++ {
		client := vlessClient(fmt.Sprintf("late%d@bench", n), map[string]any{"inbound": 0})
		polled = append(polled, probe(client, true, func() { c.addClient(ids[0], clientBody(client)) }))
	}
	b.StopTimer()
	report := func(name string, d []time.Duration) {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		b.ReportMetric(float64(d[len(d)/2].Milliseconds()), name+"-p50-ms")
		b.ReportMetric(float64(d[len(d)*95/100].Milliseconds()), name+"-p95-ms")
		b.ReportMetric(float64(d[len(d)-1].Milliseconds()), name+"-max-ms")
	}
	report("push", pushed)
	report("poll", polled)
	b.ReportMetric(float64(restarts), "xray-restarts")
	b.ReportMetric(float64(interrupted), "interrupted")
	b.Logf("%d changes with push, %d with push blocked; stream moved %d bytes", len(pushed), len(polled), stream.Bytes())
	if restarts != 0 || interrupted != 0 {
		b.Fatalf("xray restarts %d, interrupted transfers %d: both must be 0", restarts, interrupted)
	}
}

// clientBody drops the benchmark's bookkeeping field from a client.
func clientBody(client map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range client {
		if k != "inbound" {
			out[k] = v
		}
	}
	return out
}

// setClient replaces the client with id key in inbound inboundID.
func (c *cluster) setClient(inboundID int, key string, client map[string]any) {
	c.t.Helper()
	settings := fmt.Sprintf(`{"clients":[%s]}`, mustJSON(client))
	c.api.mustOK(http.MethodPost, "inbounds/updateClient/"+key, map[string]any{"id": inboundID, "settings": settings})
}
