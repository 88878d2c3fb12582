package inbound

import (
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
)

// inbounds/options' tlsFlowCapable follows v3's client form: VLESS over
// TCP (Xray's default and its "raw" name too) with TLS or REALITY, or
// XHTTP with VLESS encryption.
func TestTLSFlowCapable(t *testing.T) {
	enc := users.Fields{"decryption": []byte(`"mlkem768x25519plus.native.0rtt.key"`)}
	none := users.Fields{"decryption": []byte(`"none"`)}
	cases := []struct {
		p        model.Protocol
		stream   string
		settings users.Fields
		want     bool
	}{
		{model.VLESS, `{"network":"tcp","security":"reality"}`, none, true},
		{model.VLESS, `{"network":"raw","security":"tls"}`, none, true},
		{model.VLESS, `{"security":"tls"}`, none, true},
		{model.VLESS, `{"network":"tcp","security":"none"}`, none, false},
		{model.VLESS, `{"network":"ws","security":"tls"}`, none, false},
		{model.VLESS, `{"network":"xhttp","security":"none"}`, enc, true},
		{model.VLESS, `{"network":"xhttp","security":"tls"}`, none, false},
		{model.VLESS, `not json`, none, false},
		{model.Trojan, `{"network":"tcp","security":"tls"}`, none, false},
	}
	for _, c := range cases {
		if got := tlsFlowCapable(c.p, c.stream, c.settings); got != c.want {
			t.Errorf("%s %s: %v, want %v", c.p, c.stream, got, c.want)
		}
	}
}

// SlimClients keeps email, enable and a non-empty comment of each client
// and every other settings key.
func TestSlimClients(t *testing.T) {
	in := &model.Inbound{Settings: `{"clients":[{"id":"u1","email":"a@x","enable":true,"comment":"","totalGB":5},` +
		`{"id":"u2","email":"b@x","comment":"vip","flow":"xtls-rprx-vision"}],"decryption":"none"}`}
	if err := SlimClients(in); err != nil {
		t.Fatal(err)
	}
	want := `{"clients":[{"email":"a@x","enable":true},{"comment":"vip","email":"b@x"}],"decryption":"none"}`
	if in.Settings != want {
		t.Fatalf("got  %s\nwant %s", in.Settings, want)
	}
}
