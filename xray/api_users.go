package xray

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	handlercmd "github.com/xtls/xray-core/app/proxyman/command"
	"github.com/xtls/xray-core/common/protocol"
	"github.com/xtls/xray-core/common/serial"
	"github.com/xtls/xray-core/common/uuid"
	"github.com/xtls/xray-core/proxy/shadowsocks"
	"github.com/xtls/xray-core/proxy/shadowsocks_2022"
	"github.com/xtls/xray-core/proxy/trojan"
	"github.com/xtls/xray-core/proxy/vless"
	"github.com/xtls/xray-core/proxy/vmess"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// AddUser adds one client to a running inbound. user is the 3x-ui client
// object: vless {id, flow, email}, vmess {id, email, security}, trojan
// {password, email}, shadowsocks {password, email, method} where method is
// the client's cipher or, when the client has none, the inbound's. Other
// keys (limitIp, totalGB, ...) are ignored. An email already present gives
// an error for which IsAlreadyExistsErr is true.
func (c *APIClient) AddUser(protocolName, inboundTag string, user map[string]any) error {
	u, err := BuildUser(protocolName, user)
	if err != nil {
		return err
	}
	if strings.EqualFold(protocolName, "shadowsocks") && !isSS2022(stringField(user, "method")) {
		// Classic shadowsocks accepts duplicate emails silently; refuse them
		// here like every other protocol does.
		exists, err := c.hasUser(inboundTag, u.Email)
		if err != nil {
			return err
		}
		if exists {
			return &APIError{Op: "AddUser", Msg: "User " + u.Email + " already exists.", kind: ErrAlreadyExists}
		}
	}
	return c.alterInbound("AddUser", inboundTag, &handlercmd.AddUserOperation{User: u})
}

// RemoveUser removes the client with email from a running inbound; existing
// connections of that client keep running, new ones are refused.
func (c *APIClient) RemoveUser(inboundTag, email string) error {
	if email == "" {
		return fmt.Errorf("xray api RemoveUser: email: must not be empty")
	}
	return c.alterInbound("RemoveUser", inboundTag, &handlercmd.RemoveUserOperation{Email: email})
}

func (c *APIClient) alterInbound(op, tag string, operation proto.Message) error {
	return c.call(op, func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := handlercmd.NewHandlerServiceClient(conn).AlterInbound(ctx, &handlercmd.AlterInboundRequest{
			Tag:       tag,
			Operation: serial.ToTypedMessage(operation),
		})
		return err
	})
}

// hasUser asks the inbound whether it has a user with email.
func (c *APIClient) hasUser(tag, email string) (bool, error) {
	var resp *handlercmd.GetInboundUserResponse
	err := c.call("GetInboundUsers", func(ctx context.Context, conn *grpc.ClientConn) error {
		var err error
		resp, err = handlercmd.NewHandlerServiceClient(conn).GetInboundUsers(ctx,
			&handlercmd.GetInboundUserRequest{Tag: tag, Email: email})
		return err
	})
	if err != nil {
		return false, err
	}
	for _, u := range resp.GetUsers() {
		if u != nil && strings.EqualFold(u.GetEmail(), email) {
			return true, nil
		}
	}
	return false, nil
}

// BuildUser turns a 3x-ui client object into Xray's protocol.User for the
// inbound protocol, validating it the way Xray's config loader would.
func BuildUser(protocolName string, user map[string]any) (*protocol.User, error) {
	email := stringField(user, "email")
	if email == "" {
		return nil, fmt.Errorf("email: required to manage a user through the API")
	}
	level, err := levelField(user)
	if err != nil {
		return nil, err
	}
	account, err := buildAccount(strings.ToLower(protocolName), user)
	if err != nil {
		return nil, err
	}
	return &protocol.User{Level: level, Email: email, Account: serial.ToTypedMessage(account)}, nil
}

func buildAccount(protocolName string, user map[string]any) (proto.Message, error) {
	switch protocolName {
	case "vless":
		id, err := parseUUID(user)
		if err != nil {
			return nil, err
		}
		flow := stringField(user, "flow")
		if flow != "" && flow != vless.XRV {
			return nil, fmt.Errorf("flow: %q is not supported (only %q or empty)", flow, vless.XRV)
		}
		return &vless.Account{Id: id, Flow: flow}, nil
	case "vmess":
		id, err := parseUUID(user)
		if err != nil {
			return nil, err
		}
		return &vmess.Account{Id: id, SecuritySettings: &protocol.SecurityConfig{Type: vmessSecurity(stringField(user, "security"))}}, nil
	case "trojan":
		pw := stringField(user, "password")
		if pw == "" {
			return nil, fmt.Errorf("password: required for a trojan client")
		}
		return &trojan.Account{Password: pw}, nil
	case "shadowsocks":
		return shadowsocksAccount(user)
	}
	return nil, fmt.Errorf("protocol: %q has no API-managed users (vless, vmess, trojan, shadowsocks)", protocolName)
}

func shadowsocksAccount(user map[string]any) (proto.Message, error) {
	method := strings.ToLower(stringField(user, "method"))
	pw := stringField(user, "password")
	if pw == "" {
		return nil, fmt.Errorf("password: required for a shadowsocks client")
	}
	if method == "" {
		return nil, fmt.Errorf("method: required for a shadowsocks client (put the inbound's method in when the client has none)")
	}
	if isSS2022(method) {
		if err := check2022Key(method, pw); err != nil {
			return nil, err
		}
		return &shadowsocks_2022.Account{Key: pw}, nil
	}
	ct := ssCipher(method)
	if ct == shadowsocks.CipherType_UNKNOWN || ct == shadowsocks.CipherType_NONE {
		return nil, fmt.Errorf("method: %q is not a supported shadowsocks cipher for multi-user inbounds", method)
	}
	return &shadowsocks.Account{Password: pw, CipherType: ct}, nil
}

func isSS2022(method string) bool {
	return strings.HasPrefix(strings.ToLower(method), "2022-blake3-")
}

// check2022Key validates a 2022 user key. Xray accepts a key that is not
// base64 over the API without error, keeps it, and from then on every user
// change on that inbound fails silently inside Xray.
func check2022Key(method, key string) error {
	want := 32
	switch method {
	case "2022-blake3-aes-128-gcm":
		want = 16
	case "2022-blake3-aes-256-gcm", "2022-blake3-chacha20-poly1305":
	default:
		return fmt.Errorf("method: %q is not a shadowsocks 2022 cipher", method)
	}
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		return fmt.Errorf("password: a %s key must be base64: %v", method, err)
	}
	if len(raw) != want {
		return fmt.Errorf("password: a %s key must be %d bytes, got %d", method, want, len(raw))
	}
	return nil
}

func ssCipher(method string) shadowsocks.CipherType {
	switch method {
	case "aes-128-gcm", "aead_aes_128_gcm":
		return shadowsocks.CipherType_AES_128_GCM
	case "aes-256-gcm", "aead_aes_256_gcm":
		return shadowsocks.CipherType_AES_256_GCM
	case "chacha20-poly1305", "aead_chacha20_poly1305", "chacha20-ietf-poly1305":
		return shadowsocks.CipherType_CHACHA20_POLY1305
	case "xchacha20-poly1305", "aead_xchacha20_poly1305", "xchacha20-ietf-poly1305":
		return shadowsocks.CipherType_XCHACHA20_POLY1305
	case "none", "plain":
		return shadowsocks.CipherType_NONE
	}
	return shadowsocks.CipherType_UNKNOWN
}

func vmessSecurity(s string) protocol.SecurityType {
	switch strings.ToLower(s) {
	case "aes-128-gcm":
		return protocol.SecurityType_AES128_GCM
	case "chacha20-poly1305":
		return protocol.SecurityType_CHACHA20_POLY1305
	case "none":
		return protocol.SecurityType_NONE
	case "zero":
		return protocol.SecurityType_ZERO
	}
	return protocol.SecurityType_AUTO
}

func parseUUID(user map[string]any) (string, error) {
	raw := stringField(user, "id")
	if raw == "" {
		return "", fmt.Errorf("id: required")
	}
	id, err := uuid.ParseString(raw)
	if err != nil {
		return "", fmt.Errorf("id: %q is not a UUID (or a 1-30 character string)", raw)
	}
	return id.String(), nil
}

func stringField(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func levelField(m map[string]any) (uint32, error) {
	switch v := m["level"].(type) {
	case nil:
		return 0, nil
	case float64:
		if v < 0 || v > 255 || v != float64(int(v)) {
			return 0, fmt.Errorf("level: %v is not a level (0-255)", v)
		}
		return uint32(v), nil
	case int:
		if v < 0 || v > 255 {
			return 0, fmt.Errorf("level: %v is not a level (0-255)", v)
		}
		return uint32(v), nil
	}
	return 0, fmt.Errorf("level: must be a number")
}
