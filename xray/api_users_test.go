package xray

import (
	"errors"
	"strings"
	"testing"

	"github.com/xtls/xray-core/proxy/shadowsocks"
	"github.com/xtls/xray-core/proxy/shadowsocks_2022"
	"github.com/xtls/xray-core/proxy/vless"
	"github.com/xtls/xray-core/proxy/vmess"
	"google.golang.org/grpc/codes"
)

func TestBuildUserAccounts(t *testing.T) {
	const id = "b831381d-6324-4d53-ad4f-8cda48b30811"
	u, err := BuildUser("vless", map[string]any{"id": strings.ToUpper(id), "flow": "xtls-rprx-vision", "email": "a@x"})
	if err != nil {
		t.Fatal(err)
	}
	inst, _ := u.Account.GetInstance()
	if acc := inst.(*vless.Account); acc.Id != id || acc.Flow != "xtls-rprx-vision" || u.Email != "a@x" {
		t.Fatalf("vless account = %+v", acc)
	}

	u, err = BuildUser("vmess", map[string]any{"id": id, "email": "b@x", "level": float64(1)})
	if err != nil {
		t.Fatal(err)
	}
	inst, _ = u.Account.GetInstance()
	if acc := inst.(*vmess.Account); acc.Id != id || u.Level != 1 {
		t.Fatalf("vmess account = %+v level %d", acc, u.Level)
	}

	u, err = BuildUser("shadowsocks", map[string]any{"password": "p", "email": "c@x", "method": "chacha20-ietf-poly1305"})
	if err != nil {
		t.Fatal(err)
	}
	inst, _ = u.Account.GetInstance()
	if acc := inst.(*shadowsocks.Account); acc.CipherType != shadowsocks.CipherType_CHACHA20_POLY1305 {
		t.Fatalf("shadowsocks account = %+v", acc)
	}

	key := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" // 32 bytes
	u, err = BuildUser("shadowsocks", map[string]any{"password": key, "email": "d@x", "method": "2022-blake3-aes-256-gcm"})
	if err != nil {
		t.Fatal(err)
	}
	inst, _ = u.Account.GetInstance()
	if acc := inst.(*shadowsocks_2022.Account); acc.Key != key {
		t.Fatalf("2022 account = %+v", acc)
	}
}

func TestBuildUserRejectsBadInput(t *testing.T) {
	cases := []struct {
		protocol string
		user     map[string]any
		field    string
	}{
		{"vless", map[string]any{"id": "b831381d-6324-4d53-ad4f-8cda48b30811"}, "email"},
		{"vless", map[string]any{"email": "a@x"}, "id"},
		{"vless", map[string]any{"id": "this-id-is-far-too-long-to-be-any-uuid-at-all", "email": "a@x"}, "id"},
		{"vless", map[string]any{"id": "b831381d-6324-4d53-ad4f-8cda48b30811", "email": "a@x", "flow": "xtls-rprx-direct"}, "flow"},
		{"vmess", map[string]any{"id": "b831381d-6324-4d53-ad4f-8cda48b30811", "email": "a@x", "level": "high"}, "level"},
		{"trojan", map[string]any{"email": "a@x"}, "password"},
		{"shadowsocks", map[string]any{"email": "a@x", "password": "p"}, "method"},
		{"shadowsocks", map[string]any{"email": "a@x", "password": "p", "method": "rc4-md5"}, "method"},
		{"shadowsocks", map[string]any{"email": "a@x", "password": "not base64!", "method": "2022-blake3-aes-128-gcm"}, "password"},
		{"shadowsocks", map[string]any{"email": "a@x", "password": "AAAAAAAAAAAAAAAAAAAAAA==", "method": "2022-blake3-aes-256-gcm"}, "password"},
		{"wireguard", map[string]any{"email": "a@x"}, "protocol"},
	}
	for _, c := range cases {
		_, err := BuildUser(c.protocol, c.user)
		if err == nil || !strings.HasPrefix(err.Error(), c.field+":") {
			t.Errorf("BuildUser(%s, %v) = %v, want an error naming %q", c.protocol, c.user, err, c.field)
		}
	}
	// Bad input fails before any connection is made.
	c := NewAPIClient("127.0.0.1:1")
	defer c.Close()
	if err := c.AddUser("vless", "in", map[string]any{"email": "a@x"}); err == nil || !strings.HasPrefix(err.Error(), "id:") {
		t.Fatalf("AddUser with bad input = %v", err)
	}
}

func TestClassifyXrayMessages(t *testing.T) {
	cases := []struct {
		msg             string
		notFound, exist bool
	}{
		{"User a@x not found.", true, false},
		{"app/proxyman/command: failed to get handler: in-1 > app/proxyman/inbound: handler not found: in-1", true, false},
		{"not enough information for making a decision", true, false},
		{"proxy/vless: User a@x already exists.", false, true},
		{"app/proxyman/inbound: existing tag found: in-1", false, true},
		{"app/router: duplicate ruleTag r1", false, true},
		{"proxy is not a UserManager", false, false},
	}
	for _, c := range cases {
		err := error(classify("Op", codes.Unknown, c.msg))
		if IsNotFoundErr(err) != c.notFound || IsAlreadyExistsErr(err) != c.exist {
			t.Errorf("classify(%q): notFound=%v exists=%v", c.msg, IsNotFoundErr(err), IsAlreadyExistsErr(err))
		}
	}
	if !IsNotFoundErr(classify("GetStats", codes.NotFound, "x")) {
		t.Error("codes.NotFound must be not-found")
	}
	var apiErr *APIError
	if !errors.As(error(classify("AddUser", codes.Unknown, "boom")), &apiErr) || apiErr.Op != "AddUser" {
		t.Error("classify must return an *APIError")
	}
	if IsNotFoundErr(nil) || IsAlreadyExistsErr(errors.New("User x already exists.")) {
		t.Error("plain errors must not match")
	}
}
