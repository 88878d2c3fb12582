package xray

import (
	"context"
	"fmt"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/xray/users"
	handlercmd "github.com/xtls/xray-core/app/proxyman/command"
	"github.com/xtls/xray-core/common/protocol"
	"github.com/xtls/xray-core/common/serial"
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
// inbound protocol through users.Client: the same type and rules every panel
// write uses. For shadowsocks, "method" is the client's cipher or, when the
// client has none, the inbound's.
func BuildUser(protocolName string, user map[string]any) (*protocol.User, error) {
	c, ferr := users.FromMap(user)
	if ferr != nil {
		return nil, ferr
	}
	return c.User(protocolName, c.Method)
}

func isSS2022(method string) bool { return users.IsSS2022(strings.ToLower(method)) }

func stringField(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}
