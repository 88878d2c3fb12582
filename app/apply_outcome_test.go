package app

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

// Defect 5: a write whose live apply fails is stored and answered as a
// success, with applied=false and the reason, instead of a plain success.
func TestWriteWhoseApplyFailsAnswersAppliedFalse(t *testing.T) {
	// Sequential: uses the process database and sets XUI_BIN_FOLDER (process-wide).
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		dbtest.UseBackend(t, b)
		bin := t.TempDir()
		t.Setenv("XUI_BIN_FOLDER", bin)
		if err := database.InitDBWithPath(b.SQLitePath); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { database.CloseDB() })
		// No Xray binary at this path: every apply (a start) fails.
		app, err := New(config.PanelConfig{BasePath: testBase, SessionMaxAge: 60, WebDomain: testDomain}, Options{
			XrayBinary:     filepath.Join(bin, "missing-xray"),
			XrayConfigPath: filepath.Join(bin, "config.json"),
			DB:             database.Process(), Node: cluster.NodeFromJSON(),
		})
		if err != nil {
			t.Fatal(err)
		}
		env := &testEnv{t: t, app: app, h: app.Handler(), db: app.DB}
		c := env.loggedIn()
		r := c.api("POST", "inbounds/add", vlessInbound(31555, vlessClient("applied@x"))).expectOK()
		if r.Msg.Applied == nil || *r.Msg.Applied || r.Msg.Reason == "" {
			t.Fatalf("want applied=false with a reason, got %s", r.Raw)
		}
		var n int64
		if err := database.GetDB().Model(&model.Inbound{}).Where("port = ?", 31555).Count(&n).Error; err != nil || n != 1 {
			t.Fatalf("the change must be stored: %d rows, %v", n, err)
		}
		// A read carries no apply state.
		if r := c.api("GET", "inbounds/list", nil).expectOK(); r.Msg.Applied != nil {
			t.Fatalf("read reported applied: %s", r.Raw)
		}
	})
}

// Two client writes at once, one whose live apply fails and one whose
// apply succeeds, each answer their own outcome. The failing write reads
// its answer only after the other write applied and answered, so a shared
// "last apply" would have told it applied=true.
func TestConcurrentWritesEachReportTheirOwnApply(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		emailOf := func(changes []inbound.ClientChange) string {
			if len(changes) == 1 && len(changes[0].Written) == 1 {
				return changes[0].Written[0].Email
			}
			return ""
		}
		// A fan-out step after the Xray apply holds the refused write
		// until the other write applied and answered.
		refusedApplied, okAnswered := make(chan struct{}), make(chan struct{})
		hold := sharedwrite.Step{Name: "hold the refused write", Run: func(ch sharedwrite.Change) error {
			if emailOf(ch.Clients) == "refused@x" {
				close(refusedApplied)
				<-okAnswered
			}
			return nil
		}}
		env := newEnvWith(t, b, Options{ChangeSteps: []sharedwrite.Step{hold}})
		tpl := strings.Replace(settings.DefaultXrayTemplate, "62789", fmt.Sprint(freePort(t)), 1)
		if err := env.app.Settings.SetXrayConfigTemplate(tpl); err != nil {
			t.Fatal(err)
		}
		c := env.loggedIn()
		port := freePort(t)
		in := c.api("POST", "inbounds/add", vlessInbound(port, vlessClient("first@x"))).expectOK()
		id := int(in.obj()["id"].(float64))
		if err := env.app.Xray.RestartXray(true); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = env.app.Xray.StopXray() })

		env.app.Xray.Knobs.ClientApply = func(changes []inbound.ClientChange) error {
			if emailOf(changes) == "refused@x" {
				return errors.New("knob: xray refused this user")
			}
			return nil
		}
		addClient := func(email string) *resp {
			return c.api("POST", "inbounds/addClient", map[string]any{"id": id,
				"settings": mustJSON(map[string]any{"clients": []any{vlessClient(email)}})})
		}
		refused := make(chan *resp, 1)
		go func() { refused <- addClient("refused@x") }()
		<-refusedApplied
		ok := addClient("ok@x")
		close(okAnswered)
		bad := <-refused
		if !ok.Msg.Success || ok.Msg.Applied == nil || !*ok.Msg.Applied {
			t.Fatalf("the write whose apply succeeded: %s", ok.Raw)
		}
		if !bad.Msg.Success || bad.Msg.Applied == nil || *bad.Msg.Applied || !strings.Contains(bad.Msg.Reason, "knob: xray refused") {
			t.Fatalf("the write whose apply failed must answer applied=false with its own reason: %s", bad.Raw)
		}
	})
}

// The app's fan-out runs, after every committed shared write: the push to
// workers (a shared master only), the node's Xray apply, the subscription
// server's reload, the Telegram bot's settings check, then the steps an
// integration adds; each step gets the write's own change (client-only
// writes name their clients, settings writes say so).
func TestChangeFanoutOrderAndWhatEachWriteHandsIt(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		var mu sync.Mutex
		var seen []sharedwrite.Change
		observe := sharedwrite.Step{Name: "observe", Run: func(ch sharedwrite.Change) error {
			mu.Lock()
			seen = append(seen, ch)
			mu.Unlock()
			return nil
		}}
		env := newEnvWith(t, b, Options{ChangeSteps: []sharedwrite.Step{observe}})
		want := []string{"xray apply", "subscription settings", "telegram bot settings", "metrics settings", "observe"}
		if env.app.Node.Shared() { // MariaDB: the master pushes to workers first
			want = append([]string{"push to workers"}, want...)
		}
		if got := env.app.fanout.Steps(); !reflect.DeepEqual(got, want) {
			t.Fatalf("fan-out steps %v, want %v", got, want)
		}
		last := func() sharedwrite.Change {
			mu.Lock()
			defer mu.Unlock()
			if len(seen) == 0 {
				t.Fatal("no write reached the fan-out")
			}
			return seen[len(seen)-1]
		}
		c := env.loggedIn()
		in := c.api("POST", "inbounds/add", vlessInbound(freePort(t), vlessClient("a@x"))).expectOK()
		if ch := last(); ch.Clients != nil || ch.Settings || ch.Post != ch.Pre+1 {
			t.Fatalf("adding an inbound: %+v, want a structural change of one version", ch)
		}
		id := int(in.obj()["id"].(float64))
		c.api("POST", "inbounds/addClient", map[string]any{"id": id,
			"settings": mustJSON(map[string]any{"clients": []any{vlessClient("b@x")}})}).expectOK()
		if ch := last(); len(ch.Clients) != 1 || len(ch.Clients[0].Written) != 1 || ch.Clients[0].Written[0].Email != "b@x" || ch.Settings {
			t.Fatalf("adding a client: %+v, want the one client", ch)
		}
		if err := env.app.Settings.UpdateSettings(map[string]any{"subPort": freePort(t)}); err != nil {
			t.Fatal(err)
		}
		if ch := last(); !ch.Settings || ch.Clients != nil {
			t.Fatalf("a settings write: %+v, want Settings", ch)
		}
	})
}
