package exposure

import (
	"encoding/json"

	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
)

// keyClashes lists every part of cfg holding an object with two keys Xray
// reads as one field ("listen" and "Listen"). Scan already reads each key
// the way Xray does, so such a config does not slip past it; but which of
// the two counts depends on their order, which no reader of a map sees,
// so a config written, imported or synced may not hold them at all.
func keyClashes(cfg *xray.Config) []Violation {
	var found []Violation
	for _, sec := range []struct {
		name string
		raw  json.RawMessage
	}{
		{"log", cfg.LogConfig}, {"routing", cfg.RouterConfig}, {"dns", cfg.DNSConfig},
		{"outbounds", cfg.OutboundConfigs}, {"transport", cfg.Transport}, {"policy", cfg.Policy},
		{"api", cfg.API}, {"stats", cfg.Stats}, {"reverse", cfg.Reverse}, {"fakedns", cfg.FakeDNS},
		{"observatory", cfg.Observatory}, {"burstObservatory", cfg.BurstObservatory}, {"metrics", cfg.Metrics},
	} {
		if e := users.KeyClash(sec.raw); e != nil {
			found = append(found, Violation{Field: sec.name + "." + e.Path, Msg: e.Msg})
		}
	}
	for _, in := range cfg.InboundConfigs {
		for _, part := range []struct {
			name string
			raw  json.RawMessage
		}{{"settings", in.Settings}, {"streamSettings", in.StreamSettings}, {"sniffing", in.Sniffing}} {
			if e := users.KeyClash(part.raw); e != nil {
				found = append(found, Violation{Inbound: in.Tag, Field: part.name + "." + e.Path, Msg: e.Msg})
			}
		}
	}
	return found
}
