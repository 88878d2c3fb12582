package xrayconf

import (
	"encoding/json"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

func TestBuildConfigFromTemplateFiltersClientsAndStripsPanelFields(t *testing.T) {
	inbounds := []*model.Inbound{
		{Id: 1, Enable: true, Port: 443, Protocol: model.VLESS, Tag: "in-443", Listen: "0.0.0.0",
			Settings: `{"decryption":"none","clients":[
				{"id":"a","email":"on@x","enable":true,"totalGB":5,"expiryTime":0,"subId":"s","limitIp":2,"flow":"xtls-rprx-vision"},
				{"id":"b","email":"off@x","enable":false},
				{"id":"c","email":"depleted@x","enable":true}]}`,
			StreamSettings: `{"network":"tcp","security":"reality","realitySettings":{"privateKey":"k","settings":{"publicKey":"p"}}}`,
			ClientStats:    []xray.ClientTraffic{{Email: "on@x", Enable: true}, {Email: "depleted@x", Enable: false}}},
		{Id: 2, Enable: false, Port: 444, Protocol: model.VLESS, Tag: "disabled", Settings: `{"clients":[]}`},
		{Id: 3, Enable: true, Port: 445, Protocol: model.Shadowsocks, Tag: "ss-empty",
			Settings: `{"method":"2022-blake3-aes-128-gcm","password":"k","clients":[{"password":"u","email":"ss@x","method":"","enable":false}]}`},
		{Id: 4, Enable: true, Port: 446, Protocol: model.Shadowsocks, Tag: "ss-one",
			Settings: `{"method":"2022-blake3-aes-128-gcm","password":"k","clients":[{"password":"u","email":"ss1@x","method":"","enable":true}]}`},
	}
	cfg, err := Render(`{"inbounds":[{"tag":"api","port":1,"protocol":"tunnel"}],"outbounds":[]}`, inbounds)
	if err != nil {
		t.Fatal(err)
	}
	tags := []string{}
	for _, ic := range cfg.InboundConfigs {
		tags = append(tags, ic.Tag)
	}
	if len(tags) != 3 || tags[0] != "api" || tags[1] != "in-443" || tags[2] != "ss-one" {
		t.Fatalf("inbounds %v: want api, in-443, ss-one (disabled and client-less SS-2022 left out)", tags)
	}
	var settings struct {
		Clients []map[string]any `json:"clients"`
	}
	json.Unmarshal(cfg.InboundConfigs[1].Settings, &settings)
	if len(settings.Clients) != 1 || settings.Clients[0]["email"] != "on@x" {
		t.Fatalf("clients %v: want only on@x", settings.Clients)
	}
	for _, panelOnly := range []string{"totalGB", "expiryTime", "subId", "limitIp", "enable"} {
		if _, ok := settings.Clients[0][panelOnly]; ok {
			t.Fatalf("panel-only field %s left in the Xray config", panelOnly)
		}
	}
	if settings.Clients[0]["flow"] != "xtls-rprx-vision" {
		t.Fatal("flow must be kept")
	}
	var stream map[string]map[string]any
	json.Unmarshal(cfg.InboundConfigs[1].StreamSettings, &stream)
	if _, ok := stream["realitySettings"]["settings"]; ok || stream["realitySettings"]["privateKey"] != "k" {
		t.Fatalf("reality settings not stripped correctly: %v", stream)
	}
	json.Unmarshal(cfg.InboundConfigs[2].Settings, &settings)
	if _, ok := settings.Clients[0]["method"]; ok {
		t.Fatal("SS-2022 users must not carry a method")
	}
	if string(cfg.InboundConfigs[1].Listen) != `"0.0.0.0"` {
		t.Fatalf("listen %s", cfg.InboundConfigs[1].Listen)
	}
}
