package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// metricName finds the metric names in a PromQL expression: identifiers
// of our namespace and of the Go runtime and process collectors.
var metricName = regexp.MustCompile(`\b(?:xui|go|process)_[a-zA-Z0-9_]+\b`)

// exprs collects every "expr" string in a Grafana dashboard, however
// deep (rows may nest panels).
func exprs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "expr" {
				*out = append(*out, s)
				continue
			}
			exprs(val, out)
		}
	case []any:
		for _, val := range x {
			exprs(val, out)
		}
	}
}

// The dashboard in docs/ is valid JSON in Grafana's shape, and every
// metric any of its queries reads exists: ours from Names, the Go
// runtime's and the process's from a gather of a fresh registry. And
// docs/metrics.md documents every one of ours.
func TestDashboardAndDocsUseRealMetrics(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("docs/grafana-dashboard.json: %v", err)
	}
	for _, k := range []string{"uid", "title", "panels", "schemaVersion", "templating"} {
		if dash[k] == nil {
			t.Fatalf("dashboard has no %q", k)
		}
	}
	known := map[string]bool{}
	for _, n := range Names() {
		known[n] = true
	}
	families, err := New(Options{}).Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		n := f.GetName()
		known[n] = true
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			known[n+suffix] = true
		}
	}
	var all []string
	exprs(dash, &all)
	if len(all) < 20 {
		t.Fatalf("dashboard has %d queries; want a panel for each area", len(all))
	}
	used := map[string]bool{}
	for _, e := range all {
		for _, name := range metricName.FindAllString(e, -1) {
			if !known[name] {
				t.Errorf("dashboard query %q reads %s, which no collector exposes", e, name)
			}
			used[name] = true
		}
	}
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range Names() {
		family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
		if !strings.Contains(string(doc), "`"+family+"`") {
			t.Errorf("docs/metrics.md does not document %s", family)
		}
	}
}

// The guard: off is 404, other methods 405, the allow-list matches the
// connection's address (IPv4, IPv6, IPv4-mapped IPv6) and never a
// forwarded header, the token is a bearer token.
func TestGuard(t *testing.T) {
	t.Parallel()
	cfg := settings.Metrics{}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	g := Guard{Settings: func() settings.Metrics { return cfg }, Next: ok}
	try := func(method, remote, auth string, hdr ...string) int {
		req := httptest.NewRequest(method, "/metrics", nil)
		req.RemoteAddr = remote
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := try("GET", "127.0.0.1:1", ""); code != 404 {
		t.Fatalf("metrics off: %d, want 404", code)
	}
	cfg = settings.Metrics{Enable: true, Port: 1}
	if code := try("GET", "127.0.0.1:1", ""); code != 200 {
		t.Fatalf("on, no token, no list: %d, want 200", code)
	}
	if code := try("POST", "127.0.0.1:1", ""); code != 405 {
		t.Fatalf("POST: %d, want 405", code)
	}
	g.Panel = true
	if code := try("GET", "127.0.0.1:1", ""); code != 404 {
		t.Fatalf("panel route with metricsOnPanel off: %d, want 404", code)
	}
	cfg.OnPanel = true
	cfg.AllowFrom = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("2001:db8::/32")}
	cfg.Token = "0123456789abcdef-token"
	for _, c := range []struct {
		remote, auth string
		hdr          []string
		want         int
	}{
		{"10.1.2.3:5", "Bearer 0123456789abcdef-token", nil, 200},
		{"[::ffff:10.1.2.3]:5", "Bearer 0123456789abcdef-token", nil, 200},
		{"[2001:db8::7]:5", "Bearer 0123456789abcdef-token", nil, 200},
		{"10.2.0.1:5", "Bearer 0123456789abcdef-token", []string{"X-Forwarded-For", "10.1.0.1"}, 403},
		{"[2001:db9::1]:5", "Bearer 0123456789abcdef-token", nil, 403},
		{"10.1.2.3:5", "", nil, 401},
		{"10.1.2.3:5", "Basic 0123456789abcdef-token", nil, 401},
		{"10.1.2.3:5", "Bearer 0123456789abcdef-toke", nil, 401},
	} {
		if code := try("GET", c.remote, c.auth, c.hdr...); code != c.want {
			t.Errorf("from %s with %q %v: %d, want %d", c.remote, c.auth, c.hdr, code, c.want)
		}
	}
}

// On both backends: failed statements count by operation (not-found
// does not), and the traffic totals are the stored rows, read in one
// cached pass.
func TestDatabaseErrorsAndTotals(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		h := testdb.Handle(t, b)
		conn, _ := h.DB()
		if err := conn.Create(&model.Inbound{Tag: "in-1", Port: 1, Protocol: "vless", Up: 5, Down: 6}).Error; err != nil {
			t.Fatal(err)
		}
		if err := conn.Create(&model.ClientTraffic{InboundId: 1, Email: "a@t", Up: 1, Down: 2}).Error; err != nil {
			t.Fatal(err)
		}
		m := New(Options{Sources: Sources{DB: h, Totals: true}})
		m.WatchDB(h)
		_ = conn.Exec("SELECT * FROM no_such_table").Error
		var missing model.Inbound
		_ = conn.First(&missing, 9999).Error // not found: not an error here
		if got := testutil.ToFloat64(m.dbErrors.WithLabelValues("raw")); got != 1 {
			t.Fatalf("db_errors_total{op=raw} %v, want 1", got)
		}
		if got := testutil.ToFloat64(m.dbErrors.WithLabelValues("query")); got != 0 {
			t.Fatalf("db_errors_total{op=query} %v, want 0 (not found is no error)", got)
		}
		fams, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range fams {
			if f.GetName() != "xui_inbound_traffic_bytes_total" && f.GetName() != "xui_client_traffic_bytes_total" && f.GetName() != "xui_db_up" {
				continue
			}
			for _, s := range f.GetMetric() {
				var labels []string
				for _, l := range s.GetLabel() {
					labels = append(labels, l.GetName()+"="+l.GetValue())
				}
				got = append(got, fmt.Sprintf("%s{%s} %g", f.GetName(), strings.Join(labels, ","), s.GetCounter().GetValue()+s.GetGauge().GetValue()))
			}
		}
		slices.Sort(got)
		want := []string{
			"xui_client_traffic_bytes_total{direction=down,email=a@t} 2",
			"xui_client_traffic_bytes_total{direction=up,email=a@t} 1",
			"xui_db_up{} 1",
			"xui_inbound_traffic_bytes_total{direction=down,inbound=in-1} 6",
			"xui_inbound_traffic_bytes_total{direction=up,inbound=in-1} 5",
		}
		if !slices.Equal(got, want) {
			t.Fatalf("exposed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// The own listener follows the settings, and a node starting while its
// database is away serves with the settings cached at the last read (the
// file is 0600: it holds the token); once it has settings, a failed read
// keeps them.
func TestServerCachesSettingsForAStartWithoutTheDatabase(t *testing.T) {
	t.Parallel()
	cache := filepath.Join(t.TempDir(), "metrics-settings.json")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	want := settings.Metrics{Enable: true, Listen: "127.0.0.1", Port: port, Path: "/m", Token: "0123456789abcdef-token",
		AllowFrom: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, ClientSeries: true}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	dbAway := errors.New("database away")
	cur, curErr := want, error(nil)
	load := func() (settings.Metrics, error) { return cur, curErr }
	first := NewServer(ServerOptions{Load: load, Exposition: ok, CachePath: cache})
	first.Reload()
	if first.Addr() == "" {
		t.Fatal("enabled with a port, yet no listener")
	}
	curErr = dbAway
	first.Reload()
	if first.Addr() == "" || !reflect.DeepEqual(first.Settings(), want) {
		t.Fatalf("a failed read dropped the running settings: %+v on %q", first.Settings(), first.Addr())
	}
	stopServer(first)
	if fi, err := os.Stat(cache); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("settings cache %v, %v: want mode 0600", fi, err)
	}
	second := NewServer(ServerOptions{Load: load, Exposition: ok, CachePath: cache})
	second.Reload()
	defer stopServer(second)
	if !reflect.DeepEqual(second.Settings(), want) {
		t.Fatalf("start without the database: settings %+v, want the cached %+v", second.Settings(), want)
	}
	req, _ := http.NewRequest("GET", "http://"+second.Addr()+"/m", nil)
	req.Header.Set("Authorization", "Bearer "+want.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot {
		t.Fatalf("cached listener answered %d", resp.StatusCode)
	}
}

func stopServer(s *Server) {
	s.mu.Lock()
	s.stopLocked()
	s.mu.Unlock()
}
