package inbound

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/util/testcert"
	"github.com/mhsanaei/3x-ui/v2/validate"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
	"github.com/mhsanaei/3x-ui/v2/xrayconf"
)

// TestEveryAcceptedValueRunsInXray feeds every value the panel accepts for
// flow, shadowsocks method, VMess security, transport and stream security
// through the panel's accept path (prepareInbound), the renderer and
// `xray run -test`: whatever the validator lets through, Xray must load.
// The value lists are the validator's own tables, so a value added there
// is tested here.
func TestEveryAcceptedValueRunsInXray(t *testing.T) {
	t.Parallel()
	bin := xraytest.Binary(t)
	cert, key := testcert.Write(t, t.TempDir(), "example.com")
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	realityKey := base64.RawURLEncoding.EncodeToString(priv.Bytes())
	var inbounds []*model.Inbound
	port := 20000
	add := func(name string, p model.Protocol, settings map[string]any, stream string) {
		t.Helper()
		port++
		in := &model.Inbound{Remark: name, Enable: true, Port: port, Protocol: p,
			Settings: mustJSONString(settings), StreamSettings: stream, Sniffing: `{"enabled":false}`}
		if _, err := prepareInbound(in); err != nil {
			t.Fatalf("%s: the panel refuses it: %v", name, err)
		}
		in.Tag = inboundTag(in.Listen, in.Port)
		inbounds = append(inbounds, in)
	}
	client := func(p model.Protocol, method, email string) map[string]any {
		c := map[string]any{"email": email, "enable": true}
		switch p {
		case model.VLESS, model.VMESS:
			c["id"] = inboundtest.UUID()
		case model.Trojan:
			c["password"] = "pw-" + email
		case model.Shadowsocks:
			if size, ok := users.SS2022KeySize[method]; ok {
				c["password"] = xraytest.NewKey(size)
			} else {
				c["password"] = "pw-" + email
			}
		}
		return c
	}
	for _, flow := range users.VLESSFlows {
		c := client(model.VLESS, "", "flow"+flow+"@x")
		c["flow"] = flow
		add("flow "+flow, model.VLESS, map[string]any{"clients": []any{c}, "decryption": "none"}, "")
	}
	for _, sec := range users.VMessSecurities {
		c := client(model.VMESS, "", "vm"+sec+"@x")
		c["security"] = sec
		add("vmess security "+sec, model.VMESS, map[string]any{"clients": []any{c}}, "")
	}
	for _, method := range users.SSMethods() {
		s := map[string]any{"method": method, "network": "tcp,udp"}
		if size, ok := users.SS2022KeySize[method]; ok {
			s["password"] = xraytest.NewKey(size)
		}
		multi := !users.IsSS2022(method) || strings.Contains(method, "aes")
		if multi {
			s["clients"] = []any{client(model.Shadowsocks, method, "ss-"+method+"@x")}
			// A classic client with its own cipher, too.
			if users.IsSSClassic(method) {
				own := client(model.Shadowsocks, method, "ss-own-"+method+"@x")
				own["method"] = "aes-128-gcm"
				s["clients"] = append(s["clients"].([]any), own)
			}
		}
		add("shadowsocks "+method, model.Shadowsocks, s, "")
	}
	securityBlock := func(sec, network string) map[string]any {
		switch sec {
		case "tls":
			return map[string]any{"tlsSettings": map[string]any{"certificates": []any{map[string]any{"certificateFile": cert, "keyFile": key}}}}
		case "reality":
			return map[string]any{"realitySettings": map[string]any{"target": "127.0.0.1:443", "serverNames": []string{"example.com"},
				"privateKey": realityKey, "shortIds": []string{""}}}
		}
		return map[string]any{}
	}
	tested := 0
	for _, network := range validate.Networks {
		for _, sec := range validate.Securities {
			stream := securityBlock(sec, network)
			stream["network"] = network
			stream["security"] = sec
			raw := mustJSONString(stream)
			if validate.Stream(raw) != nil {
				continue // refused by the panel: nothing to prove here
			}
			for _, p := range []model.Protocol{model.VLESS, model.Trojan} {
				add(fmt.Sprintf("%s over %s/%s", p, network, sec), p,
					map[string]any{"clients": []any{client(p, "", fmt.Sprintf("%s-%s-%s@x", p, network, sec))}, "decryption": "none"}, raw)
				tested++
			}
		}
	}
	tpl := strings.Replace(settings.DefaultXrayTemplate, "62789", fmt.Sprint(xraytest.FreePort(t)), 1)
	cfg, err := xrayconf.Render(tpl, inbounds)
	if err != nil {
		t.Fatal(err)
	}
	if err := xray.TestConfig(bin, cfg); err != nil {
		// Say which inbound: test them one by one.
		for _, in := range inbounds {
			one, _ := xrayconf.Render(tpl, []*model.Inbound{in})
			if err := xray.TestConfig(bin, one); err != nil {
				t.Errorf("%s: accepted by the panel, refused by Xray: %v", in.Remark, err)
			}
		}
		t.Fatalf("xray -test: %v", err)
	}
	t.Logf("%d inbounds (%d transport/security combinations) pass xray run -test", len(inbounds), tested)
}

func mustJSONString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
