package app

import (
	"net/http"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

// TestDNSRebindingHostRefused is issue 22 finding 11: a page on
// rebind.example whose name now resolves to the panel sent
// `Host: rebind.example` with a matching Origin, and login and writes were
// accepted. Only IP addresses, localhost and the names in webDomain (or on
// the panel's certificate) are served now; a Bearer token, which a browser
// never attaches by itself, may use any name.
func TestDNSRebindingHostRefused(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		admin := env.loggedIn()
		token := admin.api("POST", "setting/apiTokens/create", map[string]string{"name": "ci"}).expectOK().obj()["token"].(string)

		rebind := env.client()
		rebind.host = "rebind.example:2053"
		rebind.header = http.Header{"Origin": {"http://rebind.example:2053"}}
		loginAs(rebind, "admin").expectFail(http.StatusForbidden, "Host: rebind.example:2053 is not an address of this panel")
		if r := rebind.do("GET", "panel/", nil); r.Code != http.StatusForbidden {
			t.Fatalf("panel page under a rebinding host: %d", r.Code)
		}
		// A session cookie does not help either (the browser would send it
		// if the panel's name once resolved there).
		admin.host, admin.header = "rebind.example", http.Header{"Origin": {"http://rebind.example"}}
		before := env.dbState(t)
		admin.api("POST", "inbounds/add", vlessInbound(31077, vlessClient("rebind@x"))).expectFail(http.StatusForbidden, "Host: rebind.example")
		if after := env.dbState(t); after != before {
			t.Fatal("refused write changed the database")
		}
		admin.host, admin.header = "", nil

		bot := env.client()
		bot.host, bot.bearer = "rebind.example", token
		bot.api("GET", "inbounds/list", nil).expectOK()

		for _, host := range []string{"127.0.0.1:2053", "[::1]:2053", "localhost:2053", "203.0.113.9", "EXAMPLE.com."} {
			c := env.client()
			c.host = host
			loginAs(c, "admin").expectOK()
		}

		// webDomain is validated, stored in x-ui.json and applied with the
		// panel's next start.
		admin.api("POST", "setting/update", map[string]any{"webDomain": "bad host!"}).expectFail(http.StatusBadRequest, "webDomain")
		admin.api("POST", "setting/update", map[string]any{"webDomain": " Panel.Example.org , *.rebind.example "}).expectOK()
		all := admin.api("POST", "setting/all", nil).expectOK().obj()
		if all["webDomain"] != "panel.example.org,*.rebind.example" {
			t.Fatalf("webDomain stored as %v", all["webDomain"])
		}
		cfg := env.app.Cfg
		cfg.WebDomain = all["webDomain"].(string)
		if err := env.app.Reconfigure(cfg, false); err != nil {
			t.Fatal(err)
		}
		env.h = env.app.Handler()
		for host, want := range map[string]int{"panel.example.org": 200, "a.rebind.example": 200, "rebind.example": 403, "a.b.rebind.example": 403} {
			c := env.client()
			c.host = host
			if r := loginAs(c, "admin"); r.Code != want {
				t.Errorf("login with Host %s: %d, want %d (%s)", host, r.Code, want, r.Raw)
			}
		}
	})
}

// TestDownloadsAreNotCached is issue 22 finding 12 (panel part):
// server/getDb streams the whole database and had no Cache-Control; every
// API answer (backup, Xray config, logs) is now no-store.
func TestDownloadsAreNotCached(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		for _, path := range []string{"server/getDb", "server/getConfigJson", "server/logs/10", "server/panelLogs/10", "setting/all"} {
			r := c.api("GET", path, nil)
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("%s: Cache-Control %q (HTTP %d), want no-store", path, got, r.Code)
			}
		}
		if r := c.api("GET", "server/getDb", nil); r.Code != 200 || r.Header.Get("Content-Disposition") == "" {
			t.Fatalf("getDb: %d %v", r.Code, r.Header)
		}
	})
}
