package multinode

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	xcluster "github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

const (
	metricsPort  = 2098
	metricsToken = "cluster-scrape-token-0123456789"
)

// TestPrometheusScrapesCluster is issue 29's acceptance: Debian's real
// prometheus, started here with its own config, scrapes a master and two
// workers (each in its own namespace, each on its own metrics listener
// behind the token and allow-list) while real bytes move through each
// node's Xray; Prometheus' query API must then return, for traffic, the
// per-client totals getClientTraffics shows (the master's database
// series, and the sum of the three nodes' own drained counters), for lag
// the versions panel/api/nodes/list shows, and for online clients each
// node's panel/api/inbounds/onlines. Then a worker cut off from MariaDB
// shows the same lag and stale flag in both, keeps being scraped across
// a panel restart without its database (cached metrics settings), and
// returns to current.
func TestPrometheusScrapesCluster(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database, x-ui and prometheus processes
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus not installed: scripts/test-env.sh installs Debian's package (apt-get install prometheus)")
	}
	opts := nodeOptions{syncSeconds: 2, flushSeconds: 1}
	c := newCluster(t, 0, opts)
	// Open the metrics before the workers start, so they read them at
	// their first load; the master reloads at once after the save.
	c.api.mustOK(http.MethodPost, "setting/update", map[string]any{
		"metricsEnable": true, "metricsListen": "0.0.0.0", "metricsPort": metricsPort,
		"metricsToken": metricsToken, "metricsAllowFrom": subnetPrefix() + ".0.0/16",
	})
	nodes := []*node{c.master}
	for i := 1; i <= 2; i++ {
		w := newNode(t, c, fmt.Sprintf("w%d", i), config.NodeRoleWorker, opts)
		w.start(c)
		c.workers = append(c.workers, w)
		nodes = append(nodes, w)
	}
	clients := map[*node]map[string]any{}
	var list []map[string]any
	for _, n := range nodes {
		clients[n] = vlessClient("prom-"+n.name+"@metrics", nil)
		list = append(list, clients[n])
	}
	inboundID := c.addVLESSInbound(inboundPort, list...)

	// Different amounts through each node, then a slow download held open
	// on each, so every node has its client online while Prometheus looks.
	var streams []*xraytest.RunningDownload
	defer func() {
		for _, s := range streams {
			s.Stop()
		}
	}()
	for i, n := range nodes {
		payload := payloadOn(t, n.host)
		socks := proxyVia(t, n.host, inboundPort, clients[n])
		if !waitFor(30*time.Second, func() bool { return canDownload(socks, payload+"/bytes?n=1") }) {
			t.Fatalf("%s never served the inbound", n.name)
		}
		if _, err := xraytest.DownloadWithin(socks, fmt.Sprintf("%s/bytes?n=%d", payload, (i+1)<<20), 30*time.Second); err != nil {
			t.Fatalf("download through %s: %v", n.name, err)
		}
		s := xraytest.StartDownload(socks, fmt.Sprintf("%s/slow?n=%d&rate=%d", payload, 1<<30, 32<<10))
		streams = append(streams, s)
		if !s.WaitBytes(16<<10, 15*time.Second) {
			t.Fatalf("slow download through %s did not start: %v", n.name, s.Err())
		}
	}

	prom := startPrometheus(t, promBin, nodes)

	// Online clients: each node's gauge is what its own API lists.
	for _, n := range nodes {
		api := login(t, n.panelURL())
		var online []string
		ok := waitFor(60*time.Second, func() bool {
			json.Unmarshal(api.mustOK(http.MethodGet, "inbounds/onlines", nil).Obj, &online)
			got, found := prom.value(t, fmt.Sprintf(`xui_online_clients{node=%q}`, n.name))
			return len(online) > 0 && found && got == float64(len(online))
		})
		if !ok {
			t.Fatalf("%s: onlines API lists %v; Prometheus never showed xui_online_clients = %d", n.name, online, len(online))
		}
	}

	// Traffic: stop the streams and let every journal drain, then the
	// master's database series and the sum of the nodes' drained counters
	// must equal what getClientTraffics shows, byte for byte.
	for _, s := range streams {
		s.Stop()
	}
	streams = nil
	for _, n := range nodes {
		email := clients[n]["email"].(string)
		var api, db, drained float64
		ok := waitFor(90*time.Second, func() bool {
			api = float64(clientTotal(t, c, email))
			db, _ = prom.value(t, fmt.Sprintf(`sum(xui_client_traffic_bytes_total{node="m",email=%q})`, email))
			drained, _ = prom.value(t, fmt.Sprintf(`sum(xui_node_client_traffic_bytes_total{email=%q})`, email))
			pending, _ := prom.value(t, `sum(xui_journal_pending_deltas)`)
			return api > float64(1<<20) && pending == 0 && db == api && drained == api
		})
		if !ok {
			t.Fatalf("%s: getClientTraffics shows %.0f bytes; Prometheus: database series %.0f, drained by the nodes %.0f", email, api, db, drained)
		}
		t.Logf("%s: %.0f bytes in the API, the master's series and the nodes' counters", email, api)
	}

	// Lag: the master's cluster view in Prometheus is nodes/list's.
	for _, n := range nodes {
		var ov xcluster.NodesOverview
		var lag, applied, shared float64
		ok := waitFor(60*time.Second, func() bool {
			json.Unmarshal(c.api.mustOK(http.MethodGet, "nodes/list", nil).Obj, &ov)
			var st *xcluster.NodeStatus
			for i := range ov.Nodes {
				if ov.Nodes[i].NodeID == n.name {
					st = &ov.Nodes[i]
				}
			}
			var f1, f2, f3 bool
			lag, f1 = prom.value(t, fmt.Sprintf(`xui_cluster_node_lag_versions{node="m",node_id=%q}`, n.name))
			applied, f2 = prom.value(t, fmt.Sprintf(`xui_cluster_node_applied_version{node="m",node_id=%q}`, n.name))
			shared, f3 = prom.value(t, `xui_cluster_shared_version{node="m"}`)
			return st != nil && f1 && f2 && f3 && float64(st.Lag) == lag &&
				float64(st.LastSeenVersion) == applied && float64(ov.SharedVersion) == shared
		})
		if !ok {
			t.Fatalf("%s: nodes/list shows %+v; Prometheus lag %.0f, applied %.0f, shared %.0f", n.name, ov, lag, applied, shared)
		}
		// And the node's own applied version is the one the master sees.
		own, found := prom.value(t, fmt.Sprintf(`xui_applied_version{node=%q}`, n.name))
		if !found || own < applied {
			t.Fatalf("%s: its own xui_applied_version %.0f (found %v) is behind the master's view %.0f", n.name, own, found, applied)
		}
	}

	// A worker cut off from MariaDB falls behind a change and goes stale:
	// Prometheus shows the lag and the stale flag nodes/list shows, and a
	// lag in seconds; back on the database, both return to current.
	w := nodes[2]
	w.proxy.Cut()
	c.addClient(inboundID, vlessClient("prom-late@metrics", nil))
	c.matchNodeView(t, prom, w.name, func(st xcluster.NodeStatus) bool { return st.Lag > 0 && st.Stale })
	if sec, ok := prom.value(t, fmt.Sprintf(`xui_cluster_node_lag_seconds{node="m",node_id=%q}`, w.name)); !ok || sec <= 0 {
		t.Fatalf("%s is behind, yet xui_cluster_node_lag_seconds is %v (found %v)", w.name, sec, ok)
	}
	// Its panel restarting while MariaDB is still away serves its metrics
	// again from the settings it cached, reporting the database down.
	w.kill()
	w.start(c)
	if !waitFor(60*time.Second, func() bool {
		up, ok1 := prom.value(t, fmt.Sprintf(`up{node=%q}`, w.name))
		db, ok2 := prom.value(t, fmt.Sprintf(`xui_db_up{node=%q}`, w.name))
		return ok1 && ok2 && up == 1 && db == 0
	}) {
		t.Fatalf("%s restarted without its database: Prometheus never scraped it again with xui_db_up 0 (%s)", w.name, prom.targets())
	}
	if err := w.proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	c.matchNodeView(t, prom, w.name, func(st xcluster.NodeStatus) bool { return st.Lag == 0 && !st.Stale })

	// The latency series saw this run's work: each worker's syncs of the
	// changes, the master's Xray apply after each write and its API.
	for _, q := range []string{
		`xui_sync_duration_seconds_count{node="w1"}`, `xui_sync_duration_seconds_count{node="w2"}`,
		`xui_change_step_duration_seconds_count{node="m",step="xray apply"}`,
		`sum(xui_http_request_duration_seconds_count{node="m",route="/panel/api/inbounds/add",code="2xx"})`,
	} {
		if v, ok := prom.value(t, q); !ok || v < 1 {
			t.Errorf("%s = %v (found %v), want at least 1", q, v, ok)
		}
	}
}

// matchNodeView waits until nodes/list shows node in the state want
// accepts and Prometheus' cluster series for it show the same lag,
// applied version and stale flag.
func (c *cluster) matchNodeView(t *testing.T, prom *promServer, node string, want func(xcluster.NodeStatus) bool) {
	t.Helper()
	var st xcluster.NodeStatus
	var lag, stale float64
	ok := waitFor(90*time.Second, func() bool {
		var ov xcluster.NodesOverview
		json.Unmarshal(c.api.mustOK(http.MethodGet, "nodes/list", nil).Obj, &ov)
		for _, n := range ov.Nodes {
			if n.NodeID == node {
				st = n
			}
		}
		var f1, f2 bool
		lag, f1 = prom.value(t, fmt.Sprintf(`xui_cluster_node_lag_versions{node="m",node_id=%q}`, node))
		stale, f2 = prom.value(t, fmt.Sprintf(`xui_cluster_node_stale{node="m",node_id=%q}`, node))
		staleWant := 0.0
		if st.Stale {
			staleWant = 1
		}
		return want(st) && f1 && f2 && lag == float64(st.Lag) && stale == staleWant
	})
	if !ok {
		t.Fatalf("%s: nodes/list shows lag %d stale %v; Prometheus lag %.0f stale %.0f", node, st.Lag, st.Stale, lag, stale)
	}
	t.Logf("%s: lag %d, stale %v in nodes/list and in Prometheus", node, st.Lag, st.Stale)
}

// clientTotal is the client's up+down as getClientTraffics shows it.
func clientTotal(t testing.TB, c *cluster, email string) int64 {
	var row struct{ Up, Down int64 }
	json.Unmarshal(c.api.mustOK(http.MethodGet, "inbounds/getClientTraffics/"+url.PathEscape(email), nil).Obj, &row)
	return row.Up + row.Down
}

// promServer is a prometheus process the test started.
type promServer struct {
	base string
	http *http.Client
}

// startPrometheus runs Debian's prometheus with a config scraping every
// node's metrics listener each second (target label node = the node's
// name) and its data in a temporary folder; it stops with the test.
func startPrometheus(t testing.TB, bin string, nodes []*node) *promServer {
	t.Helper()
	dir := t.TempDir()
	var targets []string
	for _, n := range nodes {
		targets = append(targets, fmt.Sprintf(`      - targets: ["%s:%d"]
        labels: {node: %q}`, n.host.nsIP, metricsPort, n.name))
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: x-ui
    metrics_path: /metrics
    authorization:
      credentials: %q
    static_configs:
%s
`, metricsToken, strings.Join(targets, "\n"))
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logPath := filepath.Join(dir, "prometheus.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			t.Logf("prometheus log:\n%s", out)
		}
	})
	p := &promServer{base: "http://" + addr, http: &http.Client{Timeout: 5 * time.Second}}
	// Ready, and every target scraped up.
	if !waitFor(60*time.Second, func() bool {
		v, ok := p.value(t, `sum(up{job="x-ui"})`)
		return ok && v == float64(len(nodes))
	}) {
		t.Fatalf("prometheus at %s never had all %d targets up: %s", addr, len(nodes), p.targets())
	}
	return p
}

// value runs an instant query and returns its single sample (false when
// the answer is empty or not one sample).
func (p *promServer) value(t testing.TB, query string) (float64, bool) {
	resp, err := p.http.Get(p.base + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var out struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Status != "success" || len(out.Data.Result) != 1 {
		return 0, false
	}
	s, _ := out.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// targets is the scrape state of every target, for a failure message.
func (p *promServer) targets() string {
	resp, err := p.http.Get(p.base + "/api/v1/targets")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			ActiveTargets []struct {
				ScrapeURL string `json:"scrapeUrl"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	var lines []string
	for _, tg := range out.Data.ActiveTargets {
		lines = append(lines, fmt.Sprintf("%s %s %s", tg.ScrapeURL, tg.Health, tg.LastError))
	}
	sort.Strings(lines)
	return strings.Join(lines, "; ")
}
