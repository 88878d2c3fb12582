package xray

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	handlercmd "github.com/xtls/xray-core/app/proxyman/command"
	routercmd "github.com/xtls/xray-core/app/router/command"
	"github.com/xtls/xray-core/common/serial"
	"github.com/xtls/xray-core/core"
	"github.com/xtls/xray-core/infra/conf"
	"google.golang.org/grpc"
)

// ErrPrependUnsupported: Xray's RoutingService can only append a rule or
// replace the whole rule list, so a rule cannot be put first over the API.
var ErrPrependUnsupported = errors.New("xray's RoutingService cannot insert a rule before the existing ones (it can only append, or replace every rule)")

// AddInbound builds the inbound the way Xray's JSON loader does and adds it
// to the running instance. A tag already in use gives IsAlreadyExistsErr.
func (c *APIClient) AddInbound(inbound *InboundConfig) error {
	built, err := BuildInbound(inbound)
	if err != nil {
		return err
	}
	return c.call("AddInbound", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := handlercmd.NewHandlerServiceClient(conn).AddInbound(ctx, &handlercmd.AddInboundRequest{Inbound: built})
		return err
	})
}

// RemoveInbound removes the inbound with tag; open connections on it are
// closed by Xray. An unknown tag gives IsNotFoundErr.
func (c *APIClient) RemoveInbound(tag string) error {
	if tag == "" {
		return fmt.Errorf("xray api RemoveInbound: tag: must not be empty")
	}
	return c.call("RemoveInbound", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := handlercmd.NewHandlerServiceClient(conn).RemoveInbound(ctx, &handlercmd.RemoveInboundRequest{Tag: tag})
		return err
	})
}

// BuildInbound converts one inbound to Xray's protobuf form through
// infra/conf, so errors match what `xray run` would report.
func BuildInbound(inbound *InboundConfig) (*core.InboundHandlerConfig, error) {
	if inbound == nil {
		return nil, fmt.Errorf("inbound: is nil")
	}
	if inbound.Tag == "" {
		return nil, fmt.Errorf("tag: an inbound added through the API needs a tag")
	}
	raw, err := json.Marshal(inbound)
	if err != nil {
		return nil, fmt.Errorf("inbound %s: encode: %w", inbound.Tag, err)
	}
	var detour conf.InboundDetourConfig
	if err := json.Unmarshal(raw, &detour); err != nil {
		return nil, fmt.Errorf("inbound %s: %w", inbound.Tag, err)
	}
	built, err := detour.Build()
	if err != nil {
		return nil, fmt.Errorf("inbound %s: %w", inbound.Tag, err)
	}
	return built, nil
}

// AddRoutingRule appends one routing rule (a JSON rule object, which must
// carry a "ruleTag" so it can be removed) to the running router. Rules are
// matched in order, so the rule only takes effect for traffic no earlier
// rule claims. prepend=true returns ErrPrependUnsupported: Xray cannot
// insert at the front without replacing every rule (including the API's).
func (c *APIClient) AddRoutingRule(ruleJSON []byte, prepend bool) error {
	if prepend {
		return fmt.Errorf("xray api AddRule: %w", ErrPrependUnsupported)
	}
	var head struct {
		RuleTag string `json:"ruleTag"`
	}
	if err := json.Unmarshal(ruleJSON, &head); err != nil {
		return fmt.Errorf("routing rule: invalid JSON: %w", err)
	}
	if head.RuleTag == "" {
		return fmt.Errorf("ruleTag: required so the rule can be removed later")
	}
	routerCfg := conf.RouterConfig{RuleList: []json.RawMessage{ruleJSON}}
	built, err := routerCfg.Build()
	if err != nil {
		return fmt.Errorf("routing rule %s: %w", head.RuleTag, err)
	}
	return c.call("AddRule", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := routercmd.NewRoutingServiceClient(conn).AddRule(ctx, &routercmd.AddRuleRequest{
			Config:       serial.ToTypedMessage(built),
			ShouldAppend: true,
		})
		return err
	})
}

// RemoveRoutingRule removes the rules tagged ruleTag. Xray reports no error
// for an unknown tag.
func (c *APIClient) RemoveRoutingRule(ruleTag string) error {
	if ruleTag == "" {
		return fmt.Errorf("xray api RemoveRule: ruleTag: must not be empty")
	}
	return c.call("RemoveRule", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := routercmd.NewRoutingServiceClient(conn).RemoveRule(ctx, &routercmd.RemoveRuleRequest{RuleTag: ruleTag})
		return err
	})
}
