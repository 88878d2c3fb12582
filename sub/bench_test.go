package sub_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/sub"
	"github.com/mhsanaei/3x-ui/v2/sub/profile"
)

func TestNewSubID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := sub.NewSubID()
		if len(id) != sub.SubIDLength || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" || seen[id] {
			t.Fatalf("subId %q", id)
		}
		seen[id] = true
	}
}

// BenchmarkSubscription serves one subId out of 7,500 clients (50 inbounds
// x 150 clients), the size users report 3x-ui struggling with.
func BenchmarkSubscription(b *testing.B) {
	var inbounds []*model.Inbound
	for i := 0; i < 50; i++ {
		in := inboundFor(i+1, 30000+i, combo{"vless", "", "ws", "tls"}, "", "")
		var clients []string
		for j := 0; j < 150; j++ {
			sid := fmt.Sprintf("bench%04d%07d", i, j)
			if i%10 == 0 && j == 0 {
				sid = testSubID
			}
			clients = append(clients, fmt.Sprintf(`{"id":%q,"email":"b%d-%d","enable":true,"subId":%q}`, testUUID, i, j, sid))
		}
		in.Settings = `{"decryption":"none","clients":[` + strings.Join(clients, ",") + `]}`
		inbounds = append(inbounds, in)
	}
	src := sub.FuncSource{InboundsFunc: func() ([]*model.Inbound, error) { return inbounds, nil },
		NodesFunc: func() []profile.Node {
			return []profile.Node{{ID: "m", Address: "198.51.100.1"}, {ID: "w1", Address: "198.51.100.2"}}
		}}
	for _, format := range []string{"links", "json", "clash", "singbox"} {
		b.Run(format, func(b *testing.B) {
			h := sub.NewHandler(sub.SettingsFrom(nil), src, nil)
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sub/"+testSubID+"?format="+format, nil))
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}
