package traffic_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// On a worker every shared write is refused with a Forbidden error that
// matches cluster.ErrSharedWriteRequiresMaster, and changes nothing.
func TestWorkerRejectsEverySharedWrite(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		dir := testdb.Open(t, b)
		s := inbound.New(database.Process(), cluster.NodeFromJSON())
		c := inboundtest.Client(model.VLESS, "w1")
		c["totalGB"] = 10
		in := addInbound(t, s, inboundtest.Inbound(model.VLESS, 31000, c))
		testdb.SetNodeRole(t, dir, "worker")
		s = inbound.New(database.Process(), cluster.NodeFromJSON()) // the role is read at start
		pipe := newPipeline(t, database.Process(), false)
		if !cluster.IsWorker() || cluster.IsMaster() {
			t.Fatal("x-ui.json role not picked up")
		}

		before, v0 := testdb.Dump(t), testdb.Version(t)
		upd := *in
		upd.Remark = "changed"
		setSvc := settings.New(database.Process(), cluster.NodeFromJSON())
		users := auth.NewUsers(database.Process(), cluster.NodeFromJSON())
		writes := map[string]func() error{
			"AddInbound":    func() error { _, err := s.AddInbound(inboundtest.Inbound(model.VLESS, 31001)); return err },
			"UpdateInbound": func() error { _, err := s.UpdateInbound(&upd); return err },
			"DelInbound":    func() error { return s.DelInbound(in.Id) },
			"AddInboundClient": func() error {
				return s.AddInboundClient(&model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, inboundtest.Client(model.VLESS, "w2"))})
			},
			"UpdateInboundClient": func() error {
				return s.UpdateInboundClient(&model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, c)}, c["id"].(string))
			},
			"DelInboundClient":        func() error { return s.DelInboundClient(in.Id, c["id"].(string)) },
			"DelInboundClientByEmail": func() error { return s.DelInboundClientByEmail(in.Id, "w1") },
			"ResetClientTraffic":      func() error { return s.ResetClientTraffic(in.Id, "w1") },
			"ResetAllClientTraffics":  func() error { return s.ResetAllClientTraffics(-1) },
			"ResetAllTraffics":        func() error { return s.ResetAllTraffics() },
			"ResetInboundTraffic":     func() error { return s.ResetInboundTraffic(in.Id) },
			"DelDepletedClients":      func() error { return s.DelDepletedClients(-1) },
			"UpdateSettings":          func() error { return setSvc.UpdateSettings(map[string]any{"subEnable": true}) },
			"SetXrayConfigTemplate":   func() error { return setSvc.SetXrayConfigTemplate(settings.DefaultXrayTemplate) },
			"ResetSettings":           func() error { return setSvc.ResetSettings() },
			"UpdateUser":              func() error { return users.UpdateUser(1, "root", "secret") },
		}
		for name, write := range writes {
			err := write()
			if !errors.Is(err, cluster.ErrSharedWriteRequiresMaster) || errs.KindOf(err) != errs.KindForbidden {
				t.Fatalf("%s on a worker: %v (kind %v)", name, err, errs.KindOf(err))
			}
		}
		testdb.AssertUnchanged(t, before)
		if testdb.Version(t) != v0 {
			t.Fatal("rejected writes bumped the version")
		}

		// Traffic counting still works on a worker, but the master-only
		// rules (disable/renew) do not run there.
		need, err := pipe.tick(nil, []*xray.ClientTraffic{{Email: "w1", Up: 50, Down: 50}})
		if err != nil || need {
			t.Fatalf("worker flush: need=%v err=%v", need, err)
		}
		if r := testdb.Rows(t, in.Id)["w1"]; r.Up != 50 || !r.Enable {
			t.Fatalf("worker must count but not disable: %+v", r)
		}
		testdb.SetNodeRole(t, dir, "master")
		pipe = newPipeline(t, database.Process(), true) // the role is fixed at start: a restarted panel
		if need, err := pipe.tick(nil, nil); err != nil || !need {
			t.Fatalf("master flush must disable the depleted client: need=%v err=%v", need, err)
		}
	})
}

func TestRequireMasterNamesMasterAddress(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		dir := testdb.Open(t, b)
		conn := database.GetDB()
		if !conn.Migrator().HasColumn("node_states", "node_address") {
			testdb.Exec(t, "ALTER TABLE node_states ADD COLUMN node_address VARCHAR(255)")
		}
		testdb.Exec(t, "INSERT INTO node_states (node_id, node_role, last_heartbeat_at, node_address) VALUES (?, ?, ?, ?)",
			"m1", "master", 100, "https://master.example:2053/")
		testdb.SetNodeRole(t, dir, "worker")
		err := cluster.RequireMaster()
		if err == nil || !strings.Contains(err.Error(), "https://master.example:2053/") {
			t.Fatalf("message should name the master: %v", err)
		}
		if !strings.Contains(err.Error(), cluster.ErrSharedWriteRequiresMaster.Error()) {
			t.Fatalf("message should say why: %v", err)
		}
	})
}
