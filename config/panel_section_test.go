package config

import (
	"errors"
	"testing"
)

// TestPanelSectionUpdate: a successful update is what the next Get sees;
// a failed one (the file write failed) leaves the held section as it was.
func TestPanelSectionUpdate(t *testing.T) {
	p := NewPanelSection(DefaultPanelConfig())
	if got := p.Get(); got.Port != DefaultPanelPort || got.BasePath != "/" {
		t.Fatalf("default section: %+v", got)
	}
	if err := p.Update(func(cur PanelConfig) (PanelConfig, error) {
		cur.Port = 3001
		return cur, nil
	}); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("write x-ui.json: disk full")
	if err := p.Update(func(cur PanelConfig) (PanelConfig, error) {
		cur.Port = 3002
		return cur, failed
	}); !errors.Is(err, failed) {
		t.Fatalf("want the write's error, got %v", err)
	}
	if got := p.Get().Port; got != 3001 {
		t.Fatalf("port %d after a failed update, want 3001", got)
	}
}
