package app

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/metrics"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

const metricsTestToken = "prom-scrape-token-0123456789"

// The metrics settings and handler, on both backends: off by default (the
// panel route 404s and no listener is bound); bad values are 4xx naming
// the field and change nothing, and so is any setting that would open
// metrics to everyone or put them on Xray's API port; the token reads back
// masked; on the panel path an address outside the allow-list gets 403,
// a missing or wrong token 401, and the right pair the exposition with
// the drained traffic, the database totals, Xray, journal, HTTP and Go
// runtime series; per-client series go away with metricsClientSeries off;
// the own listener serves on its port and path only.
func TestMetricsSettingsAndAccess(t *testing.T) {
	t.Parallel() // own database and App; the own listener takes a free port
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		srv := env.app.metrics.srv
		srv.Reload()
		if r := env.client().do("GET", "metrics", nil); r.Code != http.StatusNotFound {
			t.Fatalf("metrics off by default: panel route answered %d, want 404", r.Code)
		}
		if srv.Addr() != "" {
			t.Fatalf("metrics off by default, yet a listener on %s", srv.Addr())
		}

		c.api("POST", "inbounds/add", vlessInbound(hostPort(41), vlessClient("m1@metrics"), vlessClient("m2@metrics"))).expectOK()
		before := env.dbState(t)
		for _, bad := range []struct {
			body  map[string]any
			code  int
			field string
		}{
			{map[string]any{"metricsListen": "localhost"}, 400, "metricsListen"},
			{map[string]any{"metricsPort": 70000}, 400, "metricsPort"},
			{map[string]any{"metricsPort": -1}, 400, "metricsPort"},
			{map[string]any{"metricsEnable": true, "metricsPort": 62789}, 409, "metricsPort"},        // the template's Xray API
			{map[string]any{"metricsEnable": true, "metricsPort": hostPort(41)}, 409, "metricsPort"}, // an inbound's
			{map[string]any{"metricsPath": "metrics"}, 400, "metricsPath"},
			{map[string]any{"metricsToken": "short"}, 400, "metricsToken"},
			{map[string]any{"metricsAllowFrom": "10.0.0.0/33"}, 400, "metricsAllowFrom"},
			{map[string]any{"metricsEnable": true, "metricsOnPanel": true}, 400, "metricsToken"},
			{map[string]any{"metricsEnable": true, "metricsListen": "0.0.0.0"}, 400, "metricsToken"},
			{map[string]any{"metricsEnable": true, "metricsOnPanel": true, "metricsAllowFrom": "0.0.0.0/0"}, 400, "metricsAllowFrom"},
			{map[string]any{"metricsEnable": true, "metricsPort": 0}, 400, "metricsPort"},
		} {
			c.api("POST", "setting/update", bad.body).expectFail(bad.code, bad.field)
		}
		if env.dbState(t) != before {
			t.Fatal("refused metrics settings changed the database")
		}
		// Off, a port is only a number: a stored port an inbound uses
		// never blocks a save of the settings form (it sends every key).
		c.api("POST", "setting/update", map[string]any{"metricsPort": hostPort(41), "pageSize": 60}).expectOK()

		// Traffic drained from Xray and journaled, and an inbound whose
		// database counters the master exports.
		if err := env.app.trafficSink([]*xray.Traffic{{IsInbound: true, Tag: "inbound-x", Up: 7, Down: 11}},
			[]*xray.ClientTraffic{{Email: "m1@metrics", Up: 100, Down: 2500}}); err != nil {
			t.Fatal(err)
		}
		// Flushed into the database: the flush is timed, and the client's
		// stored counters (the master's series) equal what was drained.
		if err := env.app.flush.FlushOnce(); err != nil {
			t.Fatal(err)
		}

		c.api("POST", "setting/update", map[string]any{"metricsEnable": true, "metricsOnPanel": true, "metricsPort": 0,
			"metricsToken": metricsTestToken, "metricsAllowFrom": "192.0.2.0/24, 2001:db8::1"}).expectOK()
		// The fan-out reloads in the background; the test reloads itself
		// after each save so it reads the settings just saved.
		srv.Reload()
		if got := c.api("GET", "setting/all", nil).expectOK().obj()["metricsToken"]; got != settings.SecretMask {
			t.Fatalf("setting/all shows metricsToken %v, want the mask", got)
		}
		scrape := func(remote, token string) (int, string) {
			cl := env.client()
			cl.remote, cl.bearer = remote, token
			r := cl.do("GET", "metrics", nil)
			return r.Code, string(r.Raw)
		}
		if code, _ := scrape("192.0.2.7:5000", ""); code != http.StatusUnauthorized {
			t.Fatalf("no token: %d, want 401", code)
		}
		if code, _ := scrape("192.0.2.7:5000", metricsTestToken+"x"); code != http.StatusUnauthorized {
			t.Fatalf("wrong token: %d, want 401", code)
		}
		if code, _ := scrape("198.51.100.7:5000", metricsTestToken); code != http.StatusForbidden {
			t.Fatalf("address outside the allow-list: %d, want 403", code)
		}
		code, body := scrape("192.0.2.7:5000", metricsTestToken)
		if code != http.StatusOK {
			t.Fatalf("allowed scrape: %d %s", code, body)
		}
		for _, want := range []string{
			`xui_node_client_traffic_bytes_total{direction="down",email="m1@metrics"} 2500`,
			`xui_node_inbound_traffic_bytes_total{direction="up",inbound="inbound-x"} 7`,
			`xui_client_traffic_bytes_total{direction="up",email="m2@metrics"} 0`,
			`xui_client_traffic_bytes_total{direction="down",email="m1@metrics"} 2500`,
			`xui_traffic_flush_duration_seconds_count 1`, `xui_traffic_flush_failures_total 0`,
			`xui_inbound_traffic_bytes_total{direction="down",inbound="inbound-127.0.0.1:` + strconv.Itoa(hostPort(41)) + `"} 0`,
			`xui_xray_up 0`, `xui_xray_state{state="stop"} 1`, `xui_online_clients 0`,
			`xui_journal_pending_deltas 0`, `xui_db_up 1`,
			`xui_http_request_duration_seconds_bucket{code="2xx",method="POST",route="/xui/panel/api/setting/update"`,
			`go_goroutines `,
		} {
			if !strings.Contains(body, want) {
				t.Fatalf("exposition lacks %q:\n%s", want, body)
			}
		}

		// Every family exposed is one metrics.Names lists (and so one the
		// docs and the dashboard test know).
		fams, err := env.app.metrics.m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			n := f.GetName()
			if strings.HasPrefix(n, "xui_") && !slices.Contains(metrics.Names(), n) && !slices.Contains(metrics.Names(), n+"_count") {
				t.Errorf("exposed %s is not in metrics.Names", n)
			}
		}

		// Per-client series off: no series carries an email.
		c.api("POST", "setting/update", map[string]any{"metricsClientSeries": false}).expectOK()
		srv.Reload()
		if _, body := scrape("2001:db8::1", metricsTestToken); strings.Contains(body, "email=") {
			t.Fatalf("metricsClientSeries off, yet per-client series:\n%s", body)
		}

		// The own listener on loopback: its path only, the token still asked.
		port := freePort(t)
		c.api("POST", "setting/update", map[string]any{"metricsOnPanel": false, "metricsPort": port, "metricsPath": "/prom"}).expectOK()
		srv.Reload()
		if r := env.client().do("GET", "metrics", nil); r.Code != http.StatusNotFound {
			t.Fatalf("metricsOnPanel off: panel route answered %d, want 404", r.Code)
		}
		if srv.Addr() != "127.0.0.1:"+strconv.Itoa(port) {
			t.Fatalf("own listener on %q, want 127.0.0.1:%d", srv.Addr(), port)
		}
		// While on, its port is taken for inbounds too.
		c.api("POST", "inbounds/add", vlessInbound(port, vlessClient("m3@metrics"))).expectFail(http.StatusConflict, "metricsPort")
		get := func(path, token string) int {
			req, _ := http.NewRequest("GET", "http://"+srv.Addr()+path, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.StatusCode
		}
		// Loopback is outside the allow-list set above: drop the list.
		c.api("POST", "setting/update", map[string]any{"metricsAllowFrom": ""}).expectOK()
		srv.Reload()
		if code := get("/prom", ""); code != http.StatusUnauthorized {
			t.Fatalf("own listener without the token: %d, want 401", code)
		}
		if code := get("/prom", metricsTestToken); code != http.StatusOK {
			t.Fatalf("own listener with the token: %d, want 200", code)
		}
		if code := get("/metrics", metricsTestToken); code != http.StatusNotFound {
			t.Fatalf("own listener, other path: %d, want 404", code)
		}
		c.api("POST", "setting/update", map[string]any{"metricsEnable": false}).expectOK()
		srv.Reload()
		if srv.Addr() != "" {
			t.Fatalf("metrics turned off, listener still on %s", srv.Addr())
		}
	})
}
