package app

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// BenchmarkAddClientLive20k is one `inbounds/addClient` through the whole
// router on a master whose real Xray serves 20,000 clients, laid out as
// 20 inbounds x 1,000 clients and as one inbound of 20,000. The call
// returns after the write has committed and Xray has the new user (live,
// over its API). It reports the median and p95 per call, and the Xray
// restarts during the run (the live path makes none).
//
//	go test -run '^$' -bench AddClientLive20k -benchtime 50x ./app/
func BenchmarkAddClientLive20k(b *testing.B) {
	for _, layout := range []struct {
		name              string
		inbounds, perEach int
	}{{"20x1000", 20, 1000}, {"1x20000", 1, 20000}} {
		for _, name := range []string{dbtest.SQLite, dbtest.MariaDB} {
			b.Run(layout.name+"/"+name, func(b *testing.B) {
				env := newEnv(b, dbtest.New(b, name))
				startBenchXray(b, env)
				c := env.loggedIn()
				var firstID string
				for i := 0; i < layout.inbounds; i++ {
					list := make([]map[string]any, layout.perEach)
					for j := range list {
						list[j] = vlessClient(fmt.Sprintf("u%02d-%05d@bench", i, j))
					}
					add := c.api("POST", "inbounds/add", vlessInbound(xraytest.FreePort(b), list...)).expectOK()
					if i == 0 {
						firstID = itoa(int(add.obj()["id"].(float64)))
					}
				}
				restarts, live := env.app.Xray.Restarts(), env.app.Xray.LiveOperations()
				var took []time.Duration
				n := 0
				for b.Loop() {
					n++
					body := map[string]any{"id": atoi(firstID), "settings": mustJSON(map[string]any{
						"clients": []any{vlessClient(fmt.Sprintf("added-%d@bench", n))}})}
					start := time.Now()
					c.api("POST", "inbounds/addClient", body).expectOK()
					took = append(took, time.Since(start))
				}
				if env.app.Xray.LiveOperations() <= live {
					b.Fatal("no client reached Xray through its API")
				}
				sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
				b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
				b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "ms-p95")
				b.ReportMetric(float64(env.app.Xray.Restarts()-restarts), "xray-restarts")
			})
		}
	}
}

// startBenchXray runs the app's Xray with the default template on a free
// API port.
func startBenchXray(b *testing.B, env *testEnv) {
	b.Helper()
	var tpl map[string]any
	if err := json.Unmarshal([]byte(settings.DefaultXrayTemplate), &tpl); err != nil {
		b.Fatal(err)
	}
	tpl["inbounds"].([]any)[0].(map[string]any)["port"] = xraytest.FreePort(b)
	if err := env.app.Settings.SetXrayConfigTemplate(mustJSON(tpl)); err != nil {
		b.Fatal(err)
	}
	if err := env.app.Xray.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = env.app.Xray.StopXray() })
}
