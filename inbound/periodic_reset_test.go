package inbound

import (
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/errs/errstest"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// resetFixture adds a periodic inbound (two clients, one disabled by its
// quota) and a "never" inbound, both with traffic on their clients.
func resetFixture(t *testing.T, s *Store, period string) (periodic, never *model.Inbound) {
	t.Helper()
	in := inboundtest.Inbound(model.VLESS, 23101, inboundtest.Client(model.VLESS, "p-a"), inboundtest.Client(model.VLESS, "p-b"))
	in.TrafficReset = period
	periodic = svcAdd(t, s, in)
	never = svcAdd(t, s, inboundtest.Inbound(model.Trojan, 23102, inboundtest.Client(model.Trojan, "n-a")))
	conn := s.db.Current()
	for _, email := range []string{"p-a", "p-b", "n-a"} {
		if err := conn.Model(&xray.ClientTraffic{}).Where("email = ?", email).
			Updates(map[string]any{"up": 1000, "down": 2000}).Error; err != nil {
			t.Fatal(err)
		}
	}
	// p-b ran out of quota: the traffic job disabled it.
	if err := conn.Model(&xray.ClientTraffic{}).Where("email = ?", "p-b").
		Updates(map[string]any{"enable": false, "total": 3000}).Error; err != nil {
		t.Fatal(err)
	}
	return periodic, never
}

func resetRows(t *testing.T, db *database.Handle, inboundID int) map[string]xray.ClientTraffic {
	t.Helper()
	var rows []xray.ClientTraffic
	if err := db.Current().Where("inbound_id = ?", inboundID).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]xray.ClientTraffic{}
	for _, r := range rows {
		out[r.Email] = r
	}
	return out
}

type resetStep struct {
	at        time.Time
	wantReset int
}

func runResetSteps(t *testing.T, s *Store, loc *time.Location, periodicID int, steps []resetStep) {
	t.Helper()
	db := s.db
	conn := db.Current()
	for i, st := range steps {
		v0 := testdb.VersionOf(t, db)
		var audited0 int64
		if err := conn.Model(&model.AuditLog{}).Count(&audited0).Error; err != nil {
			t.Fatal(err)
		}
		var before model.Inbound
		if err := conn.First(&before, periodicID).Error; err != nil {
			t.Fatal(err)
		}
		n, err := s.RunPeriodicTrafficResets(st.at, loc)
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, st.at, err)
		}
		if n != st.wantReset {
			t.Fatalf("step %d (%s): reset %d inbounds, want %d", i, st.at, n, st.wantReset)
		}
		var after model.Inbound
		if err := conn.First(&after, periodicID).Error; err != nil {
			t.Fatal(err)
		}
		stamped := before.LastTrafficResetTime != after.LastTrafficResetTime
		if stamped && after.LastTrafficResetTime != st.at.UnixMilli() {
			t.Fatalf("step %d: last_traffic_reset_time %d, want %d", i, after.LastTrafficResetTime, st.at.UnixMilli())
		}
		wantBump := int64(0)
		if stamped {
			wantBump = 1
		}
		if got := testdb.VersionOf(t, db) - v0; got != wantBump {
			t.Fatalf("step %d (%s): shared version moved by %d, want %d", i, st.at, got, wantBump)
		}
		// A stamp is a write: one audit row, the panel's own; none without.
		var rowsAudit []model.AuditLog
		if err := conn.Order("id").Offset(int(audited0)).Limit(10).Find(&rowsAudit).Error; err != nil {
			t.Fatal(err)
		}
		if int64(len(rowsAudit)) != wantBump || (wantBump == 1 && (rowsAudit[0].Action != "inbound.periodicReset" ||
			rowsAudit[0].ActorKind != "system" || rowsAudit[0].Route != "periodic traffic reset")) {
			t.Fatalf("step %d (%s): audit rows %+v, want %d periodic reset row(s) by the system", i, st.at, rowsAudit, wantBump)
		}
		rows := resetRows(t, db, periodicID)
		if st.wantReset > 0 {
			for _, email := range []string{"p-a", "p-b"} {
				if r := rows[email]; r.Up != 0 || r.Down != 0 || !r.Enable {
					t.Fatalf("step %d: %s not reset and re-enabled: %+v", i, email, r)
				}
			}
			// Traffic for the next period.
			if err := conn.Model(&xray.ClientTraffic{}).Where("email = ?", "p-a").
				Updates(map[string]any{"up": 7, "down": 9}).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
}

func assertNeverUntouched(t *testing.T, db *database.Handle, never *model.Inbound) {
	t.Helper()
	r := resetRows(t, db, never.Id)["n-a"]
	if r.Up != 1000 || r.Down != 2000 {
		t.Fatalf("the never inbound's client was reset: %+v", r)
	}
}

func TestPeriodicTrafficResetDaily(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s := New(db, nil)
		periodic, never := resetFixture(t, s, TrafficResetDaily)
		loc := time.FixedZone("UTC+3", 3*3600)
		at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, loc) }
		runResetSteps(t, s, loc, periodic.Id, []resetStep{
			{at(10, 15, 0), 0}, // first sight: stamped, counters kept
		})
		if r := resetRows(t, db, periodic.Id)["p-a"]; r.Up != 1000 || r.Down != 2000 {
			t.Fatalf("first run reset counters before a period boundary: %+v", r)
		}
		runResetSteps(t, s, loc, periodic.Id, []resetStep{
			{at(10, 23, 59), 0}, // same day
			{at(11, 0, 0), 1},   // local midnight
			{at(11, 0, 5), 0},   // same day again
			{at(12, 2, 0), 1},   // 23:00 UTC on the 11th, but the 12th in the panel's zone
			{at(14, 12, 0), 1},  // the panel was down on the 13th: caught up once
			{at(14, 23, 0), 0},  // nothing more that day
		})
		assertNeverUntouched(t, db, never)
	})
}

func TestPeriodicTrafficResetMonthly(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s := New(db, nil)
		periodic, never := resetFixture(t, s, TrafficResetMonthly)
		loc := time.UTC
		at := func(mo time.Month, d, h int) time.Time { return time.Date(2026, mo, d, h, 0, 0, 0, loc) }
		runResetSteps(t, s, loc, periodic.Id, []resetStep{
			{at(1, 15, 10), 0}, // first sight: stamped
			{at(1, 31, 23), 0}, // same month
			{at(2, 1, 0), 1},   // the 1st
			{at(2, 2, 0), 0},
			{at(2, 28, 23), 0}, // February's last day: still February
			{at(3, 1, 0), 1},
			{at(3, 31, 12), 0},
		})
		assertNeverUntouched(t, db, never)
	})
}

func TestPeriodStartWeekly(t *testing.T) {
	t.Parallel()
	// 2026-03-11 is a Wednesday; upstream's @weekly fires on Sunday 00:00.
	got, ok := PeriodStart(TrafficResetWeekly, time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC); !ok || !got.Equal(want) {
		t.Fatalf("weekly start %v, want %v", got, want)
	}
	if _, ok := PeriodStart(TrafficResetNever, time.Now()); ok {
		t.Fatal("never has a period")
	}
}

func TestTrafficResetValidated(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s := New(db, nil)
		in := inboundtest.Inbound(model.VLESS, 23111, inboundtest.Client(model.VLESS, "v-a"))
		in.TrafficReset = "hourly"
		before := testdb.DumpOf(t, db.Current())
		_, err := s.AddInbound(in)
		errstest.Want(t, err, errs.KindInvalid, "trafficReset")
		testdb.AssertUnchangedOf(t, db.Current(), before)

		in.TrafficReset = ""
		added := svcAdd(t, s, in)
		if added.TrafficReset != TrafficResetNever {
			t.Fatalf("default trafficReset %q", added.TrafficReset)
		}
		added.TrafficReset = "weekly"
		added.Settings = inboundtest.Settings(model.VLESS, inboundtest.Client(model.VLESS, "v-a"))
		out, err := s.UpdateInbound(added)
		if err != nil || out.TrafficReset != TrafficResetWeekly {
			t.Fatalf("update trafficReset: %+v %v", out, err)
		}
	})
}

func TestPeriodicTrafficResetWorkerRefuses(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s := New(db, nil)
		resetFixture(t, s, TrafficResetDaily)
		if _, err := s.RunPeriodicTrafficResets(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC), time.UTC); err != nil {
			t.Fatal(err)
		}
		worker := cluster.NewNode(config.NodeConfig{Role: config.NodeRoleWorker, NodeID: "worker-1"}, b.Config.Type == config.DBTypeMariaDB, db)
		s = New(db, worker) // the role is fixed at start
		before := testdb.DumpOf(t, db.Current())
		_, err := s.RunPeriodicTrafficResets(time.Date(2026, 3, 11, 0, 1, 0, 0, time.UTC), time.UTC)
		if errs.KindOf(err) != errs.KindForbidden {
			t.Fatalf("a worker ran the periodic reset: %v", err)
		}
		testdb.AssertUnchangedOf(t, db.Current(), before)
	})
}
