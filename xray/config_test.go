package xray

import (
	"encoding/json"
	"testing"
)

func TestConfigEqualsIgnoresKeyOrderButSeesChanges(t *testing.T) {
	a := &Config{API: json.RawMessage(`{"tag":"api","services":["StatsService"]}`),
		InboundConfigs: []InboundConfig{{Port: 1, Protocol: "vless", Tag: "x", Settings: json.RawMessage(`{"a":1,"b":2}`)}}}
	b := &Config{API: json.RawMessage(`{"services":["StatsService"], "tag":"api"}`),
		InboundConfigs: []InboundConfig{{Port: 1, Protocol: "vless", Tag: "x", Settings: json.RawMessage(`{"b":2,"a":1}`)}}}
	if !a.Equals(b) || !a.InboundConfigs[0].Equals(&b.InboundConfigs[0]) {
		t.Fatal("configs differing only in key order must be equal")
	}
	b.InboundConfigs[0].Settings = json.RawMessage(`{"a":1,"b":3}`)
	if a.Equals(b) || a.InboundConfigs[0].Equals(&b.InboundConfigs[0]) {
		t.Fatal("a changed setting must be seen")
	}
	if a.Equals(nil) || (*Config)(nil).Equals(a) || !(*Config)(nil).Equals(nil) {
		t.Fatal("nil handling")
	}
}
