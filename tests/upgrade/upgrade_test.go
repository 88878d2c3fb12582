package upgrade

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

// The fixture's panel port and inbound ports (see the fixture's README).
const (
	panelPort   = 39001
	realityPort = 24443
	vmessPort   = 28080
	trojanPort  = 28443
	ssPort      = 28388
	subPort     = 22096 // subEnable is true in the fixture
)

var fixturePorts = []int{panelPort, realityPort, vmessPort, trojanPort, ssPort, subPort}

var dumpTables = []string{"users", "inbounds", "outbound_traffics", "settings", "inbound_client_ips",
	"client_traffics", "history_of_seeders", "custom_geo_resources", "shared_states", "api_tokens"}

func dumpSQLite(t *testing.T, path string) map[string][]string {
	t.Helper()
	conn, err := gorm.Open(sqlite.Open("file:"+path+"?mode=ro"), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if sqlDB, err := conn.DB(); err == nil {
			sqlDB.Close()
		}
	}()
	return dbtest.DumpTables(t, conn, dumpTables...)
}

func sameDump(t *testing.T, what string, a, b map[string][]string) {
	t.Helper()
	for table, rows := range a {
		if strings.Join(rows, "\n") != strings.Join(b[table], "\n") {
			t.Fatalf("%s changed table %s:\nbefore %v\nafter  %v", what, table, rows, b[table])
		}
	}
}

type clientJSON struct {
	ID         string `json:"id"`
	Password   string `json:"password"`
	Email      string `json:"email"`
	Flow       string `json:"flow"`
	LimitIP    int    `json:"limitIp"`
	TotalGB    int64  `json:"totalGB"`
	ExpiryTime int64  `json:"expiryTime"`
	Enable     bool   `json:"enable"`
	SubID      string `json:"subId"`
	Comment    string `json:"comment"`
	Reset      int    `json:"reset"`
}

type fixtureView struct {
	inbounds map[string]model.Inbound // by remark
	clients  map[string]clientJSON
	stats    map[string]xray.ClientTraffic
}

func readInbounds(t *testing.T, a *api) fixtureView {
	t.Helper()
	var list []model.Inbound
	a.mustOK(http.MethodGet, "inbounds/list", nil, &list)
	v := fixtureView{inbounds: map[string]model.Inbound{}, clients: map[string]clientJSON{}, stats: map[string]xray.ClientTraffic{}}
	for _, in := range list {
		v.inbounds[in.Remark] = in
		var s struct {
			Clients []clientJSON `json:"clients"`
		}
		if err := json.Unmarshal([]byte(in.Settings), &s); err != nil {
			t.Fatalf("inbound %s settings: %v", in.Remark, err)
		}
		for _, c := range s.Clients {
			v.clients[c.Email] = c
		}
		for _, st := range in.ClientStats {
			v.stats[st.Email] = st
		}
	}
	return v
}

// checkFixture asserts what the fixture's README says 3x-ui stored.
func checkFixture(t *testing.T, v fixtureView) {
	t.Helper()
	if len(v.inbounds) != 4 || len(v.clients) != 7 || len(v.stats) != 7 {
		t.Fatalf("want 4 inbounds, 7 clients, 7 client rows; got %d, %d, %d", len(v.inbounds), len(v.clients), len(v.stats))
	}
	ws := v.inbounds["vmess-ws"]
	if ws.Port != vmessPort || ws.Total != 107374182400 || ws.ExpiryTime != 1803958347213 || ws.Up != 5555 || ws.Down != 77777777 {
		t.Fatalf("vmess-ws inbound: %+v", ws)
	}
	if r := v.inbounds["vless-reality"]; r.Up != 1234567 || r.Down != 987654321 || r.AllTime != 988888888 || r.TrafficReset != "never" {
		t.Fatalf("vless-reality inbound: %+v", r)
	}
	c := v.clients
	switch {
	case c["alice@up"].TotalGB != 53687091200 || c["alice@up"].Flow != "xtls-rprx-vision" || c["alice@up"].SubID != "alicesubupstream1":
		t.Fatalf("alice: %+v", c["alice@up"])
	case c["bob@up"].ExpiryTime != 1798774347213 || c["bob@up"].Reset != 30:
		t.Fatalf("bob: %+v", c["bob@up"])
	case c["carol@up"].Enable || v.stats["carol@up"].Enable:
		t.Fatalf("carol is enabled: %+v %+v", c["carol@up"], v.stats["carol@up"])
	case c["dave@up"].ExpiryTime != -604800000 || v.stats["dave@up"].ExpiryTime != -604800000:
		t.Fatalf("dave's starts-on-first-use expiry: %+v %+v", c["dave@up"], v.stats["dave@up"])
	case c["erin@up"].LimitIP != 2 || c["erin@up"].Comment != "vip":
		t.Fatalf("erin: %+v", c["erin@up"])
	case !c["alice@up"].Enable || !c["bob@up"].Enable || !c["frank@up"].Enable || !c["grace@up"].Enable:
		t.Fatalf("enable states: %+v", c)
	}
	if a := v.stats["alice@up"]; a.Up != 1234567 || a.Down != 987654321 || a.Total != 53687091200 || a.AllTime != 988888888 {
		t.Fatalf("alice@up counters: %+v", a)
	}
	if b := v.stats["bob@up"]; b.Reset != 30 || b.ExpiryTime != 1798774347213 {
		t.Fatalf("bob@up row: %+v", b)
	}
}

func outboundJSON(protocol string, settings, stream map[string]any) json.RawMessage {
	ob := map[string]any{"protocol": protocol, "settings": settings}
	if stream != nil {
		ob["streamSettings"] = stream
	}
	data, _ := json.Marshal(ob)
	return data
}

// moveBytes downloads n bytes through each of VMess-WS, Trojan-gRPC and
// SS-2022 as their fixture clients and waits for the panel to count them.
func moveBytes(t *testing.T, a *api, v fixtureView) {
	t.Helper()
	payload := xraytest.StartPayloadServer(t, "127.0.0.1:0")
	const n = 3 << 20
	cases := []struct {
		email string
		ob    json.RawMessage
	}{
		{"erin@up", outboundJSON("vmess", map[string]any{"address": "127.0.0.1", "port": vmessPort, "id": v.clients["erin@up"].ID, "security": "auto"},
			map[string]any{"network": "ws", "wsSettings": map[string]any{"path": "/ws"}})},
		{"frank@up", outboundJSON("trojan", map[string]any{"address": "127.0.0.1", "port": trojanPort, "password": v.clients["frank@up"].Password},
			map[string]any{"network": "grpc", "grpcSettings": map[string]any{"serviceName": "svc"}})},
		{"grace@up", xraytest.ShadowsocksOutbound(ssPort, "2022-blake3-aes-128-gcm", "Y2hhbmdlLW1lLXBsZWFzZQ==:"+v.clients["grace@up"].Password)},
	}
	for _, c := range cases {
		socks, stop := xraytest.StartClient(t, c.ob, "")
		var got int64
		var err error
		ok := xraytest.Eventually(20*time.Second, func() bool {
			got, err = xraytest.DownloadWithin(socks, fmt.Sprintf("%s/bytes?n=%d", payload, n), 10*time.Second)
			return err == nil && got == n
		})
		stop()
		if !ok {
			t.Fatalf("%s: downloaded %d of %d bytes through Xray: %v", c.email, got, n, err)
		}
		before := v.stats[c.email].Down
		var row xray.ClientTraffic
		if !xraytest.Eventually(40*time.Second, func() bool {
			a.mustOK(http.MethodGet, "inbounds/getClientTraffics/"+url.PathEscape(c.email), nil, &row)
			return row.Down >= before+n
		}) {
			t.Fatalf("%s: panel counted down %d, want at least %d", c.email, row.Down, before+n)
		}
		t.Logf("%s: %d bytes through Xray; counted down %d -> %d", c.email, n, before, row.Down)
	}
}

func TestUpgradeFrom3xUIOnFirstStart(t *testing.T) {
	// Sequential: the 3x-ui fixture fixes the panel and inbound ports.
	requireFree(t, fixturePorts...)
	in := newInstall(t)
	// The only node-local choices the test makes: keep the panel on
	// loopback, and count traffic every second (the default 10 s made each
	// counted download wait 10-20 s). The port and base path come from the
	// 3x-ui database.
	if err := os.WriteFile(in.path("x-ui.json"), []byte(`{"panelNetwork":{"listen":"127.0.0.1"},"node":{"trafficFlushInterval":1}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(in.path("x-ui.db"))
	base := fmt.Sprintf("http://127.0.0.1:%d/", panelPort)
	p := in.start(base)

	if miss := contains(p.output(), "3x-ui upgrade report", "x-ui.json port = 39001", "inbounds               4 rows",
		"client_traffics        7 rows", "tg* (10 keys)", "Report saved to "+in.path("3x-ui-upgrade-report.txt")); miss != "" {
		t.Fatalf("first start output lacks %q:\n%s", miss, p.output())
	}
	if backup, _ := os.ReadFile(in.path("x-ui.db.3x-ui-v2.bak")); !bytes.Equal(backup, orig) {
		t.Fatal("the kept original differs from the 3x-ui file")
	}
	report, _ := os.ReadFile(in.path("3x-ui-upgrade-report.txt"))
	if miss := contains(string(report), "Carried over: 89 rows", "Moved to x-ui.json", "Ignored", "custom_geo_resources (0 rows)", "Roll back"); miss != "" {
		t.Fatalf("report file lacks %q:\n%s", miss, report)
	}

	if _, env := login(t, base, "admin", "admin"); env.Success {
		t.Fatal("the default admin/admin logs in on an upgraded install")
	}
	a, env := login(t, base, "owner", "Owner-pass-2026")
	if !env.Success || a.csrf == "" {
		t.Fatalf("owner login failed: %+v", env)
	}
	v := readInbounds(t, a)
	checkFixture(t, v)

	a.setLoopbackTemplate()
	for _, port := range []int{realityPort, vmessPort, trojanPort, ssPort} {
		if !xraytest.WaitPort(fmt.Sprintf("127.0.0.1:%d", port), 20*time.Second) {
			t.Fatalf("Xray does not serve inbound port %d", port)
		}
	}
	moveBytes(t, a, v)
	p.stop()

	// A second migration changes nothing.
	cfg, _ := os.ReadFile(in.path("x-ui.json"))
	before := dumpSQLite(t, in.path("x-ui.db"))
	out, err := in.cli("migrate", "-from-3x-ui")
	if err != nil || !strings.Contains(out, "already upgraded, nothing changed") {
		t.Fatalf("second migrate: %v\n%s", err, out)
	}
	sameDump(t, "the second migration", before, dumpSQLite(t, in.path("x-ui.db")))
	if cfg2, _ := os.ReadFile(in.path("x-ui.json")); !bytes.Equal(cfg, cfg2) {
		t.Fatalf("the second migration rewrote x-ui.json:\n%s\n%s", cfg, cfg2)
	}
	if st, err := os.Stat(in.path("x-ui.json")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("x-ui.json mode %v %v", st, err)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	in := newInstall(t)
	orig, _ := os.ReadFile(in.path("x-ui.db"))
	out, err := in.cli("migrate", "-from-3x-ui", "-dry-run")
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if miss := contains(out, "dry run: nothing was changed", "would copy the original", "x-ui.json port = 39001"); miss != "" {
		t.Fatalf("dry-run output lacks %q:\n%s", miss, out)
	}
	if now, _ := os.ReadFile(in.path("x-ui.db")); !bytes.Equal(orig, now) {
		t.Fatal("dry run changed the database file")
	}
	entries, _ := os.ReadDir(in.dir)
	if len(entries) != 1 {
		t.Fatalf("dry run left files: %v", entries)
	}
}
