package service

import (
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xrayconf"
)

// TestDeltaSyncMatchesFullSnapshot replays every kind of logged write
// through the change log and requires the result to equal a full read:
// step by step, and all steps at once from the first snapshot.
func TestDeltaSyncMatchesFullSnapshot(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		inbounds, sets := inbound.New(db, nil), settings.New(db, nil)
		full := func() *SharedAccountsSnapshot {
			t.Helper()
			s, err := LoadSnapshotFromDB(db, sets, inbounds, testdb.VersionOf(t, db))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		alice := inboundtest.Client(model.VLESS, "alice@d")
		in1, err := inbounds.AddInbound(inboundtest.Inbound(model.VLESS, 31001, alice, inboundtest.Client(model.VLESS, "bob@d")))
		if err != nil {
			t.Fatal(err)
		}
		in2, err := inbounds.AddInbound(inboundtest.Inbound(model.Trojan, 31002, inboundtest.Client(model.Trojan, "tom@d")))
		if err != nil {
			t.Fatal(err)
		}
		first := full()
		steps := []struct {
			name string
			run  func() error
		}{
			{"add client", func() error {
				return inbounds.AddInboundClient(&model.Inbound{Id: in1.Id, Settings: inboundtest.Settings(model.VLESS, inboundtest.Client(model.VLESS, "carol@d"))})
			}},
			{"rename and disable client", func() error {
				renamed := inboundtest.Client(model.VLESS, "alice2@d")
				renamed["id"], renamed["enable"] = alice["id"], false
				return inbounds.UpdateInboundClient(&model.Inbound{Id: in1.Id, Settings: inboundtest.Settings(model.VLESS, renamed)}, alice["id"].(string))
			}},
			{"delete client", func() error { return inbounds.DelInboundClientByEmail(in1.Id, "bob@d") }},
			{"update inbound", func() error {
				cur, err := inbounds.GetInbound(in2.Id)
				if err != nil {
					return err
				}
				cur.Port, cur.Remark = 31012, "moved"
				_, err = inbounds.UpdateInbound(cur)
				return err
			}},
			{"add inbound", func() error {
				_, err := inbounds.AddInbound(inboundtest.Inbound(model.VLESS, 31003, inboundtest.Client(model.VLESS, "dan@d")))
				return err
			}},
			{"delete inbound", func() error { return inbounds.DelInbound(in2.Id) }},
		}
		prev := first
		for _, step := range steps {
			if err := step.run(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			want := full()
			got, ok, err := LoadSnapshotDelta(db.Current(), prev, want.Version)
			if err != nil || !ok {
				t.Fatalf("%s: delta ok=%v err=%v", step.name, ok, err)
			}
			sameSnapshot(t, step.name, got, want)
			prev = got
		}
		replayed, ok, err := LoadSnapshotDelta(db.Current(), first, prev.Version)
		if err != nil || !ok {
			t.Fatalf("replay from the first snapshot: ok=%v err=%v", ok, err)
		}
		sameSnapshot(t, "replay", replayed, full())

		// A write that logs nothing (a setting) is a gap: full reload.
		if err := sets.SetString("subTitle", "gap"); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := LoadSnapshotDelta(db.Current(), prev, testdb.VersionOf(t, db)); err != nil || ok {
			t.Fatalf("an unlogged version must be a gap: ok=%v err=%v", ok, err)
		}
		// So is a pruned range.
		testdb.ExecOn(t, db, "DELETE FROM shared_changes WHERE version = ?", first.Version+1)
		if _, ok, err := LoadSnapshotDelta(db.Current(), first, first.Version+2); err != nil || ok {
			t.Fatalf("a pruned version must be a gap: ok=%v err=%v", ok, err)
		}
	})
}

// sameSnapshot compares what a worker builds from two snapshots: the
// inbounds, their stored settings, their traffic rows and the Xray config.
func sameSnapshot(t *testing.T, step string, got, want *SharedAccountsSnapshot) {
	t.Helper()
	if len(got.Inbounds) != len(want.Inbounds) {
		t.Fatalf("%s: %d inbounds, want %d", step, len(got.Inbounds), len(want.Inbounds))
	}
	for i, w := range want.Inbounds {
		g := got.Inbounds[i]
		if g.Id != w.Id || g.Port != w.Port || g.Remark != w.Remark || g.Settings != w.Settings {
			t.Fatalf("%s: inbound %d differs:\n got %d %d %q %s\nwant %d %d %q %s", step, i, g.Id, g.Port, g.Remark, g.Settings, w.Id, w.Port, w.Remark, w.Settings)
		}
		rows := map[string]bool{}
		for _, r := range g.ClientStats {
			rows[r.Email] = r.Enable
		}
		if len(rows) != len(w.ClientStats) {
			t.Fatalf("%s: inbound %d has %d traffic rows, want %d", step, w.Id, len(rows), len(w.ClientStats))
		}
		for _, r := range w.ClientStats {
			if enable, ok := rows[r.Email]; !ok || enable != r.Enable {
				t.Fatalf("%s: inbound %d row %s: got %v/%v, want %v", step, w.Id, r.Email, ok, enable, r.Enable)
			}
		}
	}
	gc, err1 := xrayconf.Render(settings.DefaultXrayTemplate, got.Inbounds)
	wc, err2 := xrayconf.Render(settings.DefaultXrayTemplate, want.Inbounds)
	if err1 != nil || err2 != nil || !gc.Equals(wc) {
		t.Fatalf("%s: rendered configs differ (%v, %v)", step, err1, err2)
	}
}
