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
	a, errA := json.Marshal(c)
	b, errB := json.Marshal(other)
	return errA == nil && errB == nil && bytes.Equal(canonical(a), canonical(b))
}

// Equals compares two inbounds by their canonical JSON.
func (c *InboundConfig) Equals(other *InboundConfig) bool {
	a, errA := json.Marshal(c)
	b, errB := json.Marshal(other)
	return errA == nil && errB == nil && bytes.Equal(canonical(a), canonical(b))
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
