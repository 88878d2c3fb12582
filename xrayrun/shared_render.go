package xrayrun

import (
	"sync"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xrayconf"
)

// snapshotRenderer renders worker snapshots, keeping each inbound's
// rendered part keyed by the inbound's pointer. A delta sync builds the
// next snapshot copy-on-write, so only the inbounds it replaced have new
// pointers: one client change re-renders one inbound, not all 20,000
// clients. Snapshot inbounds are never modified after they are built, and
// the map holds its keys alive, so a pointer cannot be reused for other
// content while it is cached.
type snapshotRenderer struct {
	mu       sync.Mutex
	template string
	base     *xray.Config // the template alone
	parts    map[*model.Inbound]*xray.InboundConfig
}

// render equals xrayconf.Render(template of snapshot, snapshot.Inbounds).
func (r *snapshotRenderer) render(snapshot *cluster.Snapshot) (*xray.Config, error) {
	template := snapshot.XrayTemplate
	if template == "" {
		// Caches written before templates were part of the snapshot: use
		// the built-in default rather than reading the database.
		template = settings.DefaultXrayTemplate
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.base == nil || r.template != template {
		base, err := xrayconf.Render(template, nil)
		if err != nil {
			return nil, err
		}
		r.base, r.template, r.parts = base, template, nil
	}
	parts := make(map[*model.Inbound]*xray.InboundConfig, len(snapshot.Inbounds))
	cfg := *r.base
	cfg.InboundConfigs = append([]xray.InboundConfig(nil), r.base.InboundConfigs...)
	for _, in := range snapshot.Inbounds {
		part, ok := r.parts[in]
		if !ok {
			var err error
			if part, err = xrayconf.RenderInbound(in); err != nil {
				return nil, err
			}
		}
		parts[in] = part
		if part != nil {
			cfg.InboundConfigs = append(cfg.InboundConfigs, *part)
		}
	}
	r.parts = parts
	return &cfg, nil
}
