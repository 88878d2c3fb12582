package multinode

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

const subPort = 2096 // the default subPort; every node has its own namespace

// fetchSub returns the sorted decoded links a node's subscription server
// answers for subID, or nil when it does not answer 200.
func fetchSub(h *testHost, subID string) []string {
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(fmt.Sprintf("http://%s:%d/sub/%s", h.nsIP, subPort, subID))
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	plain, err := base64.StdEncoding.DecodeString(string(body))
	if err != nil {
		return nil
	}
	links := strings.Split(strings.TrimSpace(string(plain)), "\n")
	sort.Strings(links)
	return links
}

// TestSubscriptionFromEveryNode: the worker's subscription lists one link
// per live node (master and worker, node in the remark), the master
// answers the same set, and with the worker's database path cut (also
// across a cold restart of the worker) the worker still serves it.
func TestSubscriptionFromEveryNode(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database and x-ui processes
	c := newCluster(t, 1, nodeOptions{syncSeconds: 2, flushSeconds: 1})
	w := c.workers[0]
	const subID = "mnsub0123456789abcdef"
	client := vlessClient("sub@mn", map[string]any{"subId": subID})
	c.addVLESSInbound(inboundPort, client)

	hostOf := func(h *testHost) string { return fmt.Sprintf("@%s:%d?", h.nsIP, inboundPort) }
	complete := func(links []string) bool {
		return len(links) == 2 && strings.Contains(strings.Join(links, "\n"), hostOf(c.master.host)) &&
			strings.Contains(strings.Join(links, "\n"), hostOf(w.host))
	}
	var fromWorker []string
	if !waitFor(30*time.Second, func() bool { fromWorker = fetchSub(w.host, subID); return complete(fromWorker) }) {
		t.Fatalf("worker subscription: %q", fromWorker)
	}
	joined := strings.Join(fromWorker, "\n")
	for _, want := range []string{"%20@m-", "%20@w1-", "vless://" + client["id"].(string)} {
		if !strings.Contains(joined, want) {
			t.Errorf("worker links lack %q:\n%s", want, joined)
		}
	}
	var fromMaster []string
	if !waitFor(15*time.Second, func() bool { fromMaster = fetchSub(c.master.host, subID); return complete(fromMaster) }) {
		t.Fatalf("master subscription: %q", fromMaster)
	}
	if strings.Join(fromMaster, "\n") != joined {
		t.Fatalf("master and worker differ:\nmaster %q\nworker %q", fromMaster, fromWorker)
	}
	if got := fetchSub(w.host, "unknownsub000000"); got != nil {
		t.Fatalf("unknown subId answered %q", got)
	}

	// The worker loses its database path: it keeps serving the same set,
	// over several of its sync intervals.
	w.proxy.Cut()
	for i := 0; i < 4; i++ {
		time.Sleep(2 * time.Second)
		if got := fetchSub(w.host, subID); strings.Join(got, "\n") != joined {
			t.Fatalf("after the cut (round %d) the worker serves %q, want %q", i, got, fromWorker)
		}
	}
	// A cold restart with the database still away serves from the
	// snapshot in shared-cache.json.
	w.stop()
	w.start(c)
	var cold []string
	if !waitFor(20*time.Second, func() bool { cold = fetchSub(w.host, subID); return cold != nil }) {
		w.dumpLog()
		t.Fatal("cold-started worker does not serve the subscription without the database")
	}
	if strings.Join(cold, "\n") != joined {
		t.Fatalf("cold-started worker serves %q, want %q", cold, fromWorker)
	}
}
