package job

import (
	"encoding/json"
	"fmt"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"path/filepath"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/web/service"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// runtime is one panel's services around a real Xray process.
type runtime struct {
	t        *testing.T
	settings *settings.Store
	inbounds *inbound.Store
	xray     *xrayrun.Runner
	flush    *service.TrafficFlushService // the production journal -> ledger path
	payload  string
	apiPort  int
	// configPath is Xray's config.json.
	configPath string
}

// newRuntime opens backend b, installs a test template (loopback allowed,
// API on a free port) and starts Xray through the service.
// It opens b as the process database (XUI_DB_FOLDER, database.Process()),
// so the tests using it stay sequential.
func newRuntime(t *testing.T, b dbtest.Backend) *runtime {
	t.Helper()
	dir := dbtest.UseBackend(t, b)
	if err := database.InitDBWithPath(b.SQLitePath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.CloseDB() })
	var r *runtime
	// Writes apply to Xray as the app's fan-out does: client by client for
	// client-only changes, the whole config otherwise.
	apply := sharedwrite.NotifierFunc(func(ch sharedwrite.Change) error {
		var err error
		if ch.Clients != nil {
			err = r.xray.ApplyClientChanges(ch.Clients)
		} else {
			err = r.xray.ApplyFromDatabase()
		}
		if err != nil {
			t.Errorf("apply: %v", err)
		}
		return err
	})
	r = &runtime{t: t, settings: settings.New(database.Process(), cluster.NodeFromJSON()),
		inbounds: inbound.NewNotifying(database.Process(), cluster.NodeFromJSON(), apply, nil), apiPort: xraytest.FreePort(t),
		configPath: filepath.Join(dir, "config.json")}
	r.setTemplate(`{"loglevel":"warning","access":"none"}`)
	proc := xray.NewProcess(xray.ProcessOptions{
		BinaryPath: xraytest.Binary(t),
		ConfigPath: r.configPath,
		Supervise:  true,
	})
	t.Cleanup(func() { proc.Stop() })
	// Traffic as production runs it: Xray's counters drain into the journal,
	// the flush writes them through the per-node ledger, the master's
	// reconciliation disables or renews and Xray applies that.
	journal := service.NewTrafficPendingStore(filepath.Join(dir, "traffic-pending.json"))
	r.flush = service.NewTrafficFlushServiceWith(database.Process(), journal, "local", true, service.FlushDeps{
		OnReconciled: func() {
			if err := r.xray.ApplyFromDatabase(); err != nil {
				t.Errorf("apply after reconciliation: %v", err)
			}
		},
	})
	r.xray = xrayrun.NewRunnerWith(r.settings, r.inbounds, proc, xrayrun.XrayDeps{Sink: r.flush.CollectAll})
	if err := r.xray.Start(); err != nil {
		t.Fatalf("start xray: %v", err)
	}
	r.payload = xraytest.StartPayloadServer(t, "")
	return r
}

// trafficTick is one production traffic round: the drain job's tick, then
// the flush loop's (flush, then the master's reconciliation).
func (r *runtime) trafficTick() {
	r.t.Helper()
	(&TrafficDrainJob{Xray: r.xray}).Run()
	if err := r.flush.FlushOnce(); err != nil {
		r.t.Fatalf("traffic flush: %v", err)
	}
	if _, err := r.flush.ReconcileOnce(); err != nil {
		r.t.Fatalf("traffic reconcile: %v", err)
	}
}

// setTemplate stores the test template with the given log section.
func (r *runtime) setTemplate(logJSON string) {
	r.t.Helper()
	cfg := xraytest.ServerConfig(r.apiPort)
	cfg.LogConfig = json.RawMessage(logJSON)
	data, err := json.Marshal(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.settings.SetXrayConfigTemplate(string(data)); err != nil {
		r.t.Fatalf("set template: %v", err)
	}
}

// client is one test client of an inbound, with what an Xray client needs.
type client struct {
	protocol model.Protocol
	email    string
	id       string // uuid or password
	method   string // shadowsocks
	port     int
}

func (c client) object(extra map[string]any) map[string]any {
	obj := map[string]any{"email": c.email, "enable": true}
	switch c.protocol {
	case model.VLESS, model.VMESS:
		obj["id"] = c.id
	default:
		obj["password"] = c.id
	}
	for k, v := range extra {
		obj[k] = v
	}
	return obj
}

// outbound is the client-side Xray outbound for c (serverKey for SS-2022).
func (c client) outbound(serverKey string) json.RawMessage {
	switch c.protocol {
	case model.VLESS:
		return xraytest.VLESSOutbound(c.port, c.id, "")
	case model.VMESS:
		return xraytest.VMessOutbound(c.port, c.id)
	case model.Trojan:
		return xraytest.TrojanOutbound(c.port, c.id)
	}
	password := c.id
	if serverKey != "" {
		password = serverKey + ":" + c.id
	}
	return xraytest.ShadowsocksOutbound(c.port, c.method, password)
}

const ss2022Method = "2022-blake3-aes-128-gcm"

// addInbound creates an inbound of protocol on a free port with clients
// named email prefixes; it returns the inbound and its clients.
func (r *runtime) addInbound(protocol model.Protocol, extra map[string]any, emails ...string) (*model.Inbound, []client, string) {
	r.t.Helper()
	port := xraytest.FreePort(r.t)
	settings := map[string]any{}
	serverKey := ""
	switch protocol {
	case model.VLESS:
		settings["decryption"] = "none"
	case model.Shadowsocks:
		serverKey = xraytest.NewKey(16)
		settings["method"] = ss2022Method
		settings["password"] = serverKey
		settings["network"] = "tcp,udp"
	}
	var clients []client
	var objects []any
	for _, email := range emails {
		c := r.newClient(protocol, port, email)
		clients = append(clients, c)
		objects = append(objects, c.object(extra))
	}
	settings["clients"] = objects
	raw, _ := json.Marshal(settings)
	in, err := r.inbounds.AddInbound(&model.Inbound{
		Enable: true, Listen: "127.0.0.1", Port: port, Protocol: protocol,
		Settings: string(raw), StreamSettings: `{"network":"tcp","security":"none"}`,
		Remark: fmt.Sprintf("%s-%d", protocol, port),
	})
	if err != nil {
		r.t.Fatalf("add %s inbound: %v", protocol, err)
	}
	return in, clients, serverKey
}

func (r *runtime) newClient(protocol model.Protocol, port int, email string) client {
	c := client{protocol: protocol, email: email, port: port}
	switch protocol {
	case model.VLESS, model.VMESS:
		c.id = xraytest.NewUUID()
	case model.Trojan:
		c.id = "pw-" + xraytest.NewUUID()
	case model.Shadowsocks:
		c.id = xraytest.NewKey(16)
		c.method = ss2022Method
	}
	return c
}

// addClient adds c to inbound id through the service.
func (r *runtime) addClient(inboundID int, c client, extra map[string]any) {
	r.t.Helper()
	raw, _ := json.Marshal(map[string]any{"clients": []any{c.object(extra)}})
	if err := r.inbounds.AddInboundClient(&model.Inbound{Id: inboundID, Settings: string(raw)}); err != nil {
		r.t.Fatalf("add client %s: %v", c.email, err)
	}
}

// updateClient replaces c's object (looked up by its id/password/email).
func (r *runtime) updateClient(inboundID int, c client, extra map[string]any) {
	r.t.Helper()
	raw, _ := json.Marshal(map[string]any{"clients": []any{c.object(extra)}})
	key := c.id
	if c.protocol == model.Shadowsocks {
		key = c.email
	}
	if err := r.inbounds.UpdateInboundClient(&model.Inbound{Id: inboundID, Settings: string(raw)}, key); err != nil {
		r.t.Fatalf("update client %s: %v", c.email, err)
	}
}

// proxy starts an Xray client for c and returns its socks address.
func (r *runtime) proxy(c client, serverKey, sendThrough string) string {
	r.t.Helper()
	socks, stop := xraytest.StartClient(r.t, c.outbound(serverKey), sendThrough)
	r.t.Cleanup(stop)
	return socks
}

func (r *runtime) bytesURL(n int64) string { return fmt.Sprintf("%s/bytes?n=%d", r.payload, n) }

// canConnect reports whether a small download through socks succeeds.
func (r *runtime) canConnect(socks string) bool {
	_, err := xraytest.DownloadWithin(socks, r.bytesURL(1024), 3*time.Second)
	return err == nil
}

// eventually is xraytest.Eventually.
var eventually = xraytest.Eventually

func (r *runtime) clientTraffic(email string) *xray.ClientTraffic {
	r.t.Helper()
	ct, err := r.inbounds.GetClientTrafficByEmail(email)
	if err != nil {
		r.t.Fatalf("traffic of %s: %v", email, err)
	}
	return ct
}

func (r *runtime) inbound(id int) *model.Inbound {
	r.t.Helper()
	in, err := r.inbounds.GetInbound(id)
	if err != nil {
		r.t.Fatal(err)
	}
	return in
}

func within(got, want int64, pct float64) bool {
	diff := float64(got - want)
	if diff < 0 {
		diff = -diff
	}
	return diff <= float64(want)*pct/100
}

// updateClientByKey replaces the client found by key with obj.
func (r *runtime) updateClientByKey(inboundID int, key string, obj map[string]any) {
	r.t.Helper()
	raw, _ := json.Marshal(map[string]any{"clients": []any{obj}})
	if err := r.inbounds.UpdateInboundClient(&model.Inbound{Id: inboundID, Settings: string(raw)}, key); err != nil {
		r.t.Fatalf("update client %s: %v", key, err)
	}
}
