package job

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// TestClientChangesApplyLiveWithoutDroppingConnections changes clients
// while a proxied download streams, and checks the Xray pid never changes,
// the stream keeps flowing and every change takes effect for new
// connections; a template change then restarts Xray.
func TestClientChangesApplyLiveWithoutDroppingConnections(t *testing.T) {
	r := newRuntime(t, dbtest.New(t, dbtest.SQLite))
	in, clients, _ := r.addInbound(model.VLESS, nil, "stream@test")
	stream := xraytest.StartDownload(r.proxy(clients[0], "", ""), fmt.Sprintf("%s/slow?n=%d&rate=%d", r.payload, 1<<30, 256<<10))
	defer stream.Stop()
	if !stream.WaitBytes(64<<10, 10*time.Second) {
		t.Fatalf("stream did not start: %v", stream.Err())
	}
	pid := r.xray.Process().Pid()
	steady := func(step string) {
		t.Helper()
		if got := r.xray.Process().Pid(); got != pid {
			t.Fatalf("%s: xray restarted (pid %d -> %d)", step, pid, got)
		}
		if !stream.Flowing(2 * time.Second) {
			t.Fatalf("%s: the running download stopped: %v", step, stream.Err())
		}
	}

	added := r.newClient(model.VLESS, in.Port, "added@test")
	r.addClient(in.Id, added, nil)
	addedSocks := r.proxy(added, "", "")
	if !r.canConnect(addedSocks) {
		t.Fatal("added client cannot connect")
	}
	steady("add client")
	// The overlay is folded into config.json within a second or so, so a
	// panel restart adopts Xray with the client known.
	if !eventually(5*time.Second, func() bool {
		data, _ := os.ReadFile(r.configPath)
		return strings.Contains(string(data), "added@test")
	}) {
		t.Fatal("config.json never listed the live-added client")
	}
	if cfg := r.xray.RunningConfig(); cfg == nil || !strings.Contains(string(cfg.InboundConfigs[len(cfg.InboundConfigs)-1].Settings), "added@test") {
		t.Fatal("the running config does not list the live-added client")
	}

	renamed := added
	renamed.id = xraytest.NewUUID()
	raw := renamed.object(nil)
	r.updateClientByKey(in.Id, added.id, raw)
	if !r.canConnect(r.proxy(renamed, "", "")) || r.canConnect(addedSocks) {
		t.Fatal("update did not swap the client's id")
	}
	steady("update client")

	r.updateClientByKey(in.Id, renamed.id, renamed.object(map[string]any{"enable": false}))
	if r.canConnect(r.proxy(renamed, "", "")) {
		t.Fatal("disabled client can still connect")
	}
	steady("disable client")

	if err := r.inbounds.DelInboundClient(in.Id, renamed.id); err != nil {
		t.Fatal(err)
	}
	steady("delete client")

	// A second inbound is added and removed live as well.
	in2, clients2, _ := r.addInbound(model.Trojan, nil, "other@test")
	if !r.canConnect(r.proxy(clients2[0], "", "")) {
		t.Fatal("client of a live-added inbound cannot connect")
	}
	if err := r.inbounds.DelInbound(in2.Id); err != nil {
		t.Fatal(err)
	}
	steady("add and delete inbound")
	if ops := r.xray.LiveOperations(); ops < 6 {
		t.Fatalf("expected the changes to go through the API, got %d live operations", ops)
	}

	r.setTemplate(`{"loglevel":"info","access":"none"}`)
	if err := r.xray.ApplyFromDatabase(); err != nil {
		t.Fatal(err)
	}
	if r.xray.Process().Pid() == pid {
		t.Fatal("a template change must restart xray")
	}
	if !r.canConnect(r.proxy(clients[0], "", "")) {
		t.Fatal("client cannot connect after the restart")
	}
}

// TestKilledXrayIsRestarted kills the Xray process and expects the panel
// to bring it back within a few seconds.
func TestKilledXrayIsRestarted(t *testing.T) {
	r := newRuntime(t, dbtest.New(t, dbtest.SQLite))
	_, clients, _ := r.addInbound(model.VLESS, nil, "survivor@test")
	socks := r.proxy(clients[0], "", "")
	pid := r.xray.Process().Pid()
	health := &XrayHealthJob{xray: r.xray, events: notify.NewRecorder(database.Process(), "local")}
	health.Run() // Xray runs: nothing to report
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ok := eventually(10*time.Second, func() bool {
		health.Run()
		p := r.xray.Process().Pid()
		return p != 0 && p != pid && r.xray.IsXrayRunning()
	})
	if !ok {
		t.Fatal("xray was not restarted within 10s")
	}
	t.Logf("xray back after %v (pid %d -> %d)", time.Since(start).Round(time.Millisecond), pid, r.xray.Process().Pid())
	if !eventually(5*time.Second, func() bool { return r.canConnect(socks) }) {
		t.Fatal("client cannot connect after the restart")
	}
	// The crash and the recovery were each recorded once, in that order.
	var kinds []string
	if err := database.GetDB().Model(&model.NotifyEvent{}).Order("seq").Pluck("kind", &kinds).Error; err != nil {
		t.Fatal(err)
	}
	if len(kinds) != 2 || kinds[0] != string(notify.XrayCrashed) || kinds[1] != string(notify.XrayRecovered) {
		t.Fatalf("recorded events %q: want xray.crashed then xray.recovered", kinds)
	}
}
