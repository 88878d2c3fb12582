package web

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/config"
)

// TestServerRestartAndClose: a shut-down server serves again (a panel
// restart), and after Close a pending restart is refused instead of
// serving a panel that was stopped.
func TestServerRestartAndClose(t *testing.T) {
	cfg := config.PanelConfig{Listen: "127.0.0.1", BasePath: "/p/"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	s := NewServer(cfg)
	get := func() string {
		t.Helper()
		resp, err := http.Get(s.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for round := 0; round < 2; round++ {
		if err := s.Serve(cfg, nil, h); err != nil {
			t.Fatalf("serve (round %d): %v", round, err)
		}
		if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || !strings.HasSuffix(s.URL(), "/p/") {
			t.Fatalf("URL %s", s.URL())
		}
		if got := get(); got != "ok" {
			t.Fatalf("round %d answered %q", round, got)
		}
		if !strings.Contains(s.Describe(), s.BindAddress()) {
			t.Fatalf("describe %q lacks the bind address %s", s.Describe(), s.BindAddress())
		}
		if err := s.Shutdown(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(cfg, nil, h); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("serve after Close: %v, want refused", err)
	}
}
