package xray

import (
	"bytes"
	"encoding/json"
)

// Config is a whole Xray config. The panel generates the inbounds; every
// other section comes from the template and passes through as raw JSON.
type Config struct {
	LogConfig        json.RawMessage `json:"log,omitempty"`
	RouterConfig     json.RawMessage `json:"routing,omitempty"`
	DNSConfig        json.RawMessage `json:"dns,omitempty"`
	InboundConfigs   []InboundConfig `json:"inbounds"`
	OutboundConfigs  json.RawMessage `json:"outbounds,omitempty"`
	Transport        json.RawMessage `json:"transport,omitempty"`
	Policy           json.RawMessage `json:"policy,omitempty"`
	API              json.RawMessage `json:"api,omitempty"`
	Stats            json.RawMessage `json:"stats,omitempty"`
	Reverse          json.RawMessage `json:"reverse,omitempty"`
	FakeDNS          json.RawMessage `json:"fakedns,omitempty"`
	Observatory      json.RawMessage `json:"observatory,omitempty"`
	BurstObservatory json.RawMessage `json:"burstObservatory,omitempty"`
	Metrics          json.RawMessage `json:"metrics,omitempty"`
}

// InboundConfig is one inbound as Xray reads it.
type InboundConfig struct {
	Listen         json.RawMessage `json:"listen,omitempty"`
	Port           int             `json:"port"`
	Protocol       string          `json:"protocol"`
	Settings       json.RawMessage `json:"settings,omitempty"`
	StreamSettings json.RawMessage `json:"streamSettings,omitempty"`
	Tag            string          `json:"tag"`
	Sniffing       json.RawMessage `json:"sniffing,omitempty"`
}

// Equals compares two configs by their canonical JSON.
func (c *Config) Equals(other *Config) bool {
	if c == nil || other == nil {
		return c == other
	}
	if c.sameBytes(other) {
		return true
	}
	return canonicalEqual(c, other)
}

// Equals compares two inbounds by their canonical JSON.
func (c *InboundConfig) Equals(other *InboundConfig) bool {
	if c == nil || other == nil {
		return c == other
	}
	if c.sameBytes(other) {
		return true
	}
	return canonicalEqual(c, other)
}

// canonicalEqual compares two values by their canonical JSON.
func canonicalEqual(a, b any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(canonical(x), canonical(y))
}

// canonical re-encodes JSON so key order and spacing do not matter.
func canonical(data []byte) []byte {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return data
	}
	out, err := json.Marshal(v)
	if err != nil {
		return data
	}
	return out
}

// sameBytes is the fast path: configs built by the same code are usually
// byte-identical, which spares canonicalising tens of thousands of clients.
func (c *Config) sameBytes(o *Config) bool {
	raws := [][2]json.RawMessage{
		{c.LogConfig, o.LogConfig}, {c.RouterConfig, o.RouterConfig}, {c.DNSConfig, o.DNSConfig},
		{c.OutboundConfigs, o.OutboundConfigs}, {c.Transport, o.Transport}, {c.Policy, o.Policy},
		{c.API, o.API}, {c.Stats, o.Stats}, {c.Reverse, o.Reverse}, {c.FakeDNS, o.FakeDNS},
		{c.Observatory, o.Observatory}, {c.BurstObservatory, o.BurstObservatory}, {c.Metrics, o.Metrics},
	}
	for _, r := range raws {
		if !bytes.Equal(r[0], r[1]) {
			return false
		}
	}
	if len(c.InboundConfigs) != len(o.InboundConfigs) {
		return false
	}
	for i := range c.InboundConfigs {
		if !c.InboundConfigs[i].sameBytes(&o.InboundConfigs[i]) {
			return false
		}
	}
	return true
}

func (c *InboundConfig) sameBytes(o *InboundConfig) bool {
	return c.Port == o.Port && c.Protocol == o.Protocol && c.Tag == o.Tag &&
		bytes.Equal(c.Listen, o.Listen) && bytes.Equal(c.Settings, o.Settings) &&
		bytes.Equal(c.StreamSettings, o.StreamSettings) && bytes.Equal(c.Sniffing, o.Sniffing)
}
