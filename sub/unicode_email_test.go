package sub_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/util/testcert"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// Clients with Unicode emails (3x-ui v3 accepts them): the panel stores
// them, the subscription's link carries the email percent-encoded in its
// remark (VLESS) or as JSON text (VMess), the link connects through the
// panel's real Xray, and the counters Xray names by the email show the
// bytes.
func TestUnicodeEmailRoundTrip(t *testing.T) {
	env := newPanelEnv(t)
	certFile, keyFile := testcert.Write(t, env.dir, "tls.example.com")
	cases := []struct {
		c     combo
		email string
		subID string
	}{
		{combo{"vless", "", "ws", "none"}, "ирина@example", "unicodevless0001"},
		{combo{"vmess", "", "ws", "none"}, "用户.Ü@例子", "unicodevmess0002"},
	}
	svc := inbound.New(database.Process(), cluster.NodeFromJSON())
	for i, tc := range cases {
		in := inboundFor(i+1, xraytest.FreePort(t), tc.c, certFile, keyFile)
		in.Id, in.ClientStats, in.Tag, in.Listen = 0, nil, "", "127.0.0.1"
		in.Remark = "uni"
		in.Settings = strings.Replace(in.Settings, testSubID, tc.subID, 1)
		in.Settings = strings.Replace(in.Settings, strconv.Quote(fmt.Sprintf("%s-%d", testEmailBase, i+1)), strconv.Quote(tc.email), 1)
		in.Settings = uniqueClientIDs(t, in.Settings, i)
		if !strings.Contains(in.Settings, tc.email) {
			t.Fatalf("test setup: email not placed in %s", in.Settings)
		}
		if _, err := svc.AddInbound(in); err != nil {
			t.Fatalf("%s: the panel refused a Unicode email: %v", tc.email, err)
		}
	}
	env.startXray()
	for _, tc := range cases {
		t.Run(tc.c.Protocol, func(t *testing.T) {
			env.t = t
			lines := strings.Split(strings.TrimSpace(string(env.fetch(tc.subID, "links"))), "\n")
			if len(lines) != 1 {
				t.Fatalf("want one link, got %q", lines)
			}
			link := lines[0]
			if tc.c.Protocol == "vless" {
				// A URL fragment is ASCII: the email travels percent-encoded
				// and decodes back to itself.
				frag := strings.SplitN(link, "#", 2)[1]
				for _, r := range frag {
					if r >= utf8.RuneSelf {
						t.Fatalf("fragment %q is not percent-encoded", frag)
					}
				}
				u, err := url.Parse(link)
				if err != nil || !strings.Contains(u.Fragment, tc.email) {
					t.Fatalf("link %q: remark does not decode to the email (%v)", link, err)
				}
			}
			ob, err := parseLink(link)
			if err != nil {
				t.Fatalf("parse %s: %v", link, err)
			}
			socks, _ := xraytest.StartClient(t, mustRaw(ob), "")
			env.moveBytes(socks, tc.email, nil)
		})
	}
}
