package app

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
)

// BenchmarkInboundsList20k measures inbounds/list (the whole router:
// session check, query, JSON) for one inbound holding 20,000 clients.
//
//	go test -run '^$' -bench InboundsList20k ./app/
func BenchmarkInboundsList20k(b *testing.B) {
	const clients = 20000
	for _, name := range []string{dbtest.SQLite, dbtest.MariaDB} {
		b.Run(name, func(b *testing.B) {
			env := newEnv(b, dbtest.New(b, name))
			c := env.loggedIn()
			list := make([]map[string]any, clients)
			for i := range list {
				list[i] = vlessClient(fmt.Sprintf("user%05d@bench", i))
			}
			c.api("POST", "inbounds/add", vlessInbound(hostPort(37001), list...)).expectOK()
			req := httptest.NewRequest("GET", testBase+"panel/api/inbounds/list", nil)
			for _, ck := range c.cookies {
				req.AddCookie(ck)
			}
			b.ResetTimer()
			var size int
			for i := 0; i < b.N; i++ {
				rec := httptest.NewRecorder()
				env.h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("list: %d", rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size)/(1<<20), "MB/response")
			b.ReportMetric(clients, "clients")
		})
	}
}
