// Package xrayconf renders the Xray config: the template plus the stored
// inbounds, with panel-only fields stripped. It is a pure function of its input.
package xrayconf

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
)

// Render renders the template plus every enabled inbound,
// leaving out disabled or depleted clients. It reads nothing from the
// database, so workers can build from a cached snapshot.
func Render(template string, inbounds []*model.Inbound) (*xray.Config, error) {
	cfg := &xray.Config{}
	if err := json.Unmarshal([]byte(template), cfg); err != nil {
		return nil, errs.Invalid("xrayTemplateConfig", "not a valid Xray config: %v", err)
	}
	for _, inbound := range inbounds {
		ic, err := RenderInbound(inbound)
		if err != nil {
			return nil, err
		}
		if ic != nil {
			cfg.InboundConfigs = append(cfg.InboundConfigs, *ic)
		}
	}
	return cfg, nil
}

// RenderInbound is one inbound's part of Render: nil when it is disabled or
// serves no client. Render is the template followed by these parts in
// order, so a caller may cache parts per unchanged inbound.
func RenderInbound(inbound *model.Inbound) (*xray.InboundConfig, error) {
	if !inbound.Enable {
		return nil, nil
	}
	ic, err := inboundToXray(inbound)
	if err != nil {
		return nil, fmt.Errorf("inbound %s: %w", inbound.Tag, err)
	}
	return ic, nil
}

func inboundToXray(inbound *model.Inbound) (*xray.InboundConfig, error) {
	ic := &xray.InboundConfig{
		Port:     inbound.Port,
		Protocol: string(inbound.Protocol),
		Tag:      inbound.Tag,
	}
	if inbound.Listen != "" {
		listen, _ := json.Marshal(inbound.Listen)
		ic.Listen = listen
	}
	settings, serving, err := xraySettings(inbound)
	if err != nil {
		return nil, err
	}
	if !serving {
		return nil, nil
	}
	ic.Settings = settings
	if inbound.StreamSettings != "" {
		stream, err := stripPanelStreamFields(inbound.StreamSettings)
		if err != nil {
			return nil, errs.Invalid("streamSettings", "invalid JSON: %v", err)
		}
		ic.StreamSettings = stream
	}
	if inbound.Sniffing != "" {
		ic.Sniffing = json.RawMessage(inbound.Sniffing)
	}
	return ic, nil
}

// xraySettings keeps only enabled clients whose traffic row is enabled, with
// panel-only fields removed. serving is false for a Shadowsocks-2022
// inbound left without clients: Xray would run it as a single-user server
// that admits anyone holding the server key, so it must not run at all.
func xraySettings(inbound *model.Inbound) (json.RawMessage, bool, error) {
	if inbound.Settings == "" {
		return json.RawMessage(`{}`), true, nil
	}
	settings, rawClients, hasClients, err := users.DecodeObjects([]byte(inbound.Settings))
	if err != nil {
		return nil, false, errs.Invalid("settings", "invalid JSON: %v", err)
	}
	if !hasClients {
		raw, err := json.Marshal(settings)
		return raw, true, err
	}
	depleted := map[string]bool{}
	for _, stat := range inbound.ClientStats {
		if !stat.Enable {
			depleted[stat.Email] = true
		}
	}
	method, _ := settings["method"].(string)
	if inbound.Protocol == model.Shadowsocks {
		// The method Xray runs is the one its settings struct reads, in
		// any letter case ("Method"): the single-user guard below must
		// see that one.
		var st struct {
			Method string `json:"method"`
		}
		_ = json.Unmarshal([]byte(inbound.Settings), &st)
		method = st.Method
	}
	ss2022 := inbound.Protocol == model.Shadowsocks && strings.HasPrefix(method, "2022-")
	clients := make([]any, 0, len(rawClients))
	for _, rc := range rawClients {
		c, ok := rc.(map[string]any)
		if !ok {
			continue
		}
		if enabled, ok := c["enable"].(bool); ok && !enabled {
			continue
		}
		if email, _ := c["email"].(string); depleted[email] {
			continue
		}
		xc := users.XrayClient(string(inbound.Protocol), method, c)
		clients = append(clients, xc)
	}
	if ss2022 && len(clients) == 0 {
		return nil, false, nil
	}
	settings["clients"] = clients
	raw, err := json.Marshal(settings)
	return raw, true, err
}

// XrayClient returns the subset of a 3x-ui client object that Xray reads.
func XrayClient(protocol model.Protocol, client map[string]any) map[string]any {
	return users.XrayClient(string(protocol), "", client)
}

// stripPanelStreamFields drops the "settings" helper objects 3x-ui keeps
// inside tlsSettings/realitySettings for share links; Xray does not read them.
func stripPanelStreamFields(stream string) (json.RawMessage, error) {
	m := map[string]any{}
	if err := json.Unmarshal([]byte(stream), &m); err != nil {
		return nil, err
	}
	for _, key := range []string{"tlsSettings", "realitySettings"} {
		if sec, ok := m[key].(map[string]any); ok {
			delete(sec, "settings")
		}
	}
	return json.Marshal(m)
}
