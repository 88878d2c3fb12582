package app

import (
	"log"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/logging"
)

// TestPanelLogRoute: server/panelLogs/:count answers the panel's own recent
// lines from the ring, oldest first, filtered by level; bad input names
// the field.
func TestPanelLogRoute(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		ring := logging.NewRing(50)
		env := newEnvWith(t, b, Options{PanelLog: ring})
		logger := log.New(ring, "", log.LstdFlags)
		for i := 0; i < 60; i++ {
			logger.Printf("line %d", i)
		}
		logger.Printf("WARNING: disk almost full")
		logger.Printf("error: xray died")

		c := env.loggedIn()
		lines := stringList(t, c.api("GET", "server/panelLogs/3", nil).expectOK())
		if len(lines) != 3 || !strings.HasSuffix(lines[0], "line 59") || !strings.HasSuffix(lines[2], "error: xray died") {
			t.Fatalf("last 3 lines: %q", lines)
		}
		all := stringList(t, c.api("POST", "server/panelLogs/10000", nil).expectOK())
		if len(all) != 50 || !strings.HasSuffix(all[0], "line 12") {
			t.Fatalf("ring of 50 kept %d lines, first %q", len(all), all[0])
		}
		warn := stringList(t, c.api("GET", "server/panelLogs/100?level=warning", nil).expectOK())
		if len(warn) != 2 || !strings.Contains(warn[0], "disk almost full") {
			t.Fatalf("warning and above: %q", warn)
		}
		if e := stringList(t, c.api("GET", "server/panelLogs/100?level=error", nil).expectOK()); len(e) != 1 {
			t.Fatalf("error only: %q", e)
		}

		c.api("GET", "server/panelLogs/0", nil).expectFail(400, "count")
		c.api("GET", "server/panelLogs/abc", nil).expectFail(400, "count")
		c.api("GET", "server/panelLogs/10001", nil).expectFail(400, "count")
		c.api("GET", "server/panelLogs/10?level=loud", nil).expectFail(400, "level")
		if r := env.client().api("GET", "server/panelLogs/10", nil); r.Code != 401 {
			t.Fatalf("without login: %d %s", r.Code, r.Raw)
		}
	})
}

// TestPanelLogRouteWithoutRing: an App built without a ring answers an
// empty list, not an error.
func TestPanelLogRouteWithoutRing(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	env := newEnv(t, dbtest.New(t, dbtest.SQLite))
	if lines := stringList(t, env.loggedIn().api("GET", "server/panelLogs/5", nil).expectOK()); len(lines) != 0 {
		t.Fatalf("lines %q", lines)
	}
}

func stringList(t *testing.T, r *resp) []string {
	t.Helper()
	raw, ok := r.Msg.Obj.([]any)
	if !ok {
		t.Fatalf("obj is not a list: %s", r.Raw)
	}
	out := make([]string, len(raw))
	for i, v := range raw {
		out[i], _ = v.(string)
	}
	return out
}
