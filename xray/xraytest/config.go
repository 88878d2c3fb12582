package xraytest

import (
	"encoding/json"
	"fmt"

	"github.com/mhsanaei/3x-ui/v2/xray"
)

// ServerConfig is a complete server config for tests: the gRPC API
// (Handler, Logger, Stats and Routing services) on a loopback tunnel
// inbound tagged "api" at apiPort, stats and the per-user/inbound/outbound
// counter policy (with statsUserOnline), outbounds "direct" (freedom, the
// default) and "blocked" (blackhole), and no private-IP block rule so the
// servers may proxy to 127.0.0.1.
func ServerConfig(apiPort int, inbounds ...xray.InboundConfig) *xray.Config {
	api := xray.InboundConfig{
		Listen:   json.RawMessage(`"127.0.0.1"`),
		Port:     apiPort,
		Protocol: "tunnel",
		Settings: json.RawMessage(`{"address":"127.0.0.1"}`),
		Tag:      "api",
	}
	return &xray.Config{
		LogConfig:      json.RawMessage(`{"loglevel":"warning","access":"none"}`),
		API:            json.RawMessage(`{"tag":"api","services":["HandlerService","LoggerService","StatsService","RoutingService"]}`),
		InboundConfigs: append([]xray.InboundConfig{api}, inbounds...),
		OutboundConfigs: json.RawMessage(`[
			{"tag":"direct","protocol":"freedom","settings":{}},
			{"tag":"blocked","protocol":"blackhole","settings":{}}]`),
		RouterConfig: json.RawMessage(`{"domainStrategy":"AsIs","rules":[
			{"type":"field","inboundTag":["api"],"outboundTag":"api"}]}`),
		Stats: json.RawMessage(`{}`),
		Policy: json.RawMessage(`{
			"levels":{"0":{"statsUserUplink":true,"statsUserDownlink":true,"statsUserOnline":true}},
			"system":{"statsInboundUplink":true,"statsInboundDownlink":true,"statsOutboundUplink":true,"statsOutboundDownlink":true}}`),
	}
}

// Inbound is a plain-TCP inbound on 127.0.0.1:port with the given settings
// object (e.g. {"clients":[...],"decryption":"none"}).
func Inbound(protocol string, port int, tag string, settings any) xray.InboundConfig {
	raw, err := json.Marshal(settings)
	if err != nil {
		panic(fmt.Sprintf("xraytest: encode inbound settings: %v", err))
	}
	return xray.InboundConfig{
		Listen:         json.RawMessage(`"127.0.0.1"`),
		Port:           port,
		Protocol:       protocol,
		Settings:       raw,
		StreamSettings: json.RawMessage(`{"network":"tcp","security":"none"}`),
		Tag:            tag,
	}
}
