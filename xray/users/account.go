package users

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	"github.com/xtls/xray-core/common/protocol"
	"github.com/xtls/xray-core/common/serial"
	"github.com/xtls/xray-core/common/uuid"
	"github.com/xtls/xray-core/proxy/shadowsocks"
	"github.com/xtls/xray-core/proxy/shadowsocks_2022"
	"github.com/xtls/xray-core/proxy/trojan"
	"github.com/xtls/xray-core/proxy/vless"
	"github.com/xtls/xray-core/proxy/vmess"
	"google.golang.org/protobuf/proto"
)

func asTypeErr(err error, target **json.UnmarshalTypeError) bool { return errors.As(err, target) }

// typeWords names what a client field holds in an admin's words ("a whole
// number"), not Go's ("int64"): the UI shows it under the field.
func typeWords(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number in range"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "text"
	case reflect.Slice, reflect.Array:
		return "a list"
	default:
		return "an object"
	}
}

// gotWords turns encoding/json's "number 1.07e+23" into "1.07e+23".
func gotWords(v string) string { return strings.TrimPrefix(v, "number ") }

// User checks c with the same rules as every write and turns it into the
// protocol.User that Xray's HandlerService adds. ssMethod is the inbound's
// shadowsocks method (used when the client carries none).
func (c *Client) User(protocolName, ssMethod string) (*protocol.User, error) {
	p := strings.ToLower(protocolName)
	if p == "shadowsocks" && ssMethod == "" {
		ssMethod = c.Method
	}
	if ssMethod == "" && p == "shadowsocks" {
		return nil, fieldErr("method", "required for a shadowsocks client (put the inbound's method in when the client has none)")
	}
	if err := c.Check(p, ssMethod); err != nil {
		return nil, err
	}
	account, err := c.account(p, ssMethod)
	if err != nil {
		return nil, err
	}
	return &protocol.User{Level: uint32(c.Level), Email: c.Email, Account: serial.ToTypedMessage(account)}, nil
}

func (c *Client) account(p, ssMethod string) (proto.Message, error) {
	switch p {
	case "vless":
		id, err := uuid.ParseString(c.ID)
		if err != nil {
			return nil, fieldErr("id", "%q is not a UUID", clip(c.ID))
		}
		return &vless.Account{Id: id.String(), Flow: c.Flow}, nil
	case "vmess":
		id, err := uuid.ParseString(c.ID)
		if err != nil {
			return nil, fieldErr("id", "%q is not a UUID", clip(c.ID))
		}
		return &vmess.Account{Id: id.String(), SecuritySettings: &protocol.SecurityConfig{Type: vmessSecurity(c.Security)}}, nil
	case "trojan":
		return &trojan.Account{Password: c.Password}, nil
	case "shadowsocks":
		if IsSS2022(ssMethod) {
			return &shadowsocks_2022.Account{Key: c.Password}, nil
		}
		method := c.Method
		if method == "" {
			method = ssMethod
		}
		return &shadowsocks.Account{Password: c.Password, CipherType: ssCipher(method)}, nil
	}
	return nil, fieldErr("protocol", "%q has no API-managed users (vless, vmess, trojan, shadowsocks)", clip(p))
}

func ssCipher(method string) shadowsocks.CipherType {
	switch method {
	case "aes-128-gcm":
		return shadowsocks.CipherType_AES_128_GCM
	case "aes-256-gcm":
		return shadowsocks.CipherType_AES_256_GCM
	case "chacha20-poly1305", "chacha20-ietf-poly1305":
		return shadowsocks.CipherType_CHACHA20_POLY1305
	case "xchacha20-poly1305", "xchacha20-ietf-poly1305":
		return shadowsocks.CipherType_XCHACHA20_POLY1305
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
