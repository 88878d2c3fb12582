package config

import "sync"

// PanelSection is this node's panel section of x-ui.json as stored, a
// change that waits for a panel restart included. main loads x-ui.json
// once; the panel's settings save (the only writer while the panel runs)
// writes the file and then this holder, so the settings page, the port
// checks and the panel restart read it here instead of re-reading the file.
// The running HTTP server keeps its own copy: what it serves with now.
type PanelSection struct {
	write sync.Mutex // serializes Update: read, write the file, set
	mu    sync.RWMutex
	cfg   PanelConfig
}

// NewPanelSection holds cfg as the stored panel section.
func NewPanelSection(cfg PanelConfig) *PanelSection {
	return &PanelSection{cfg: cfg}
}

// DefaultPanelConfig is the panel section of an x-ui.json without one.
func DefaultPanelConfig() PanelConfig { return panelConfigFrom(map[string]any{}) }

// Get is the stored panel section.
func (p *PanelSection) Get() PanelConfig {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.cfg
}

// Update runs fn on the stored section, one caller at a time, and keeps
// what fn returns unless fn fails (fn writes x-ui.json; a failed write
// leaves both the file and the holder as they were).
func (p *PanelSection) Update(fn func(cur PanelConfig) (PanelConfig, error)) error {
	p.write.Lock()
	defer p.write.Unlock()
	next, err := fn(p.Get())
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.cfg = next
	p.mu.Unlock()
	return nil
}
