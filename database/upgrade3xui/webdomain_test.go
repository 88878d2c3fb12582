package upgrade3xui

import (
	"testing"

	"github.com/mhsanaei/3x-ui/v2/config"
)

// TestWebDomainMovesToXUIJSON: 3x-ui's webDomain is the panel's host
// allow-list here too (docs/security.md), so the upgrade carries it into
// x-ui.json instead of ignoring it, and a panel reached by that name keeps
// answering.
func TestWebDomainMovesToXUIJSON(t *testing.T) {
	path := copyFixture(t)
	setUpstreamSettings(t, path, map[string]string{"webDomain": "panel.example.com"})
	if _, err := Run(Options{DBPath: path}); err != nil {
		t.Fatal(err)
	}
	if got := config.GetPanelConfigFromJSON().WebDomain; got != "panel.example.com" {
		t.Fatalf("webDomain in x-ui.json: %q, want panel.example.com", got)
	}
}
