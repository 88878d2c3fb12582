package traffic_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/errs/errstest"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/traffic"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

func TestFlushSumsTwoBatches(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		pipe := newPipeline(t, db, true)
		s := inbound.New(db, nil)
		sizes := map[int]int{27000: 1500, 27001: 700}
		tags := map[int]string{}
		for port, n := range sizes {
			clients := make([]map[string]any, n)
			for i := range clients {
				clients[i] = inboundtest.Client(model.VLESS, fmt.Sprintf("p%d-c%d", port, i))
			}
			tags[port] = addInbound(t, s, inboundtest.Inbound(model.VLESS, port, clients...)).Tag
		}
		v0 := testdb.VersionOf(t, db)
		batch := func(mult int64) ([]*xray.Traffic, []*xray.ClientTraffic) {
			var clients []*xray.ClientTraffic
			for port, n := range sizes {
				for i := 0; i < n; i++ {
					clients = append(clients, &xray.ClientTraffic{Email: fmt.Sprintf("p%d-c%d", port, i), Up: int64(i) * mult, Down: 2 * int64(i) * mult})
				}
			}
			// Duplicates are summed; unknown emails and zero deltas are dropped.
			clients = append(clients,
				&xray.ClientTraffic{Email: "p27000-c1", Up: 1000, Down: 0},
				&xray.ClientTraffic{Email: "ghost", Up: 5, Down: 5},
				nil)
			inbounds := []*xray.Traffic{
				{IsInbound: true, Tag: tags[27000], Up: 10 * mult, Down: 20 * mult},
				{IsInbound: true, Tag: tags[27001], Up: 1 * mult, Down: 2 * mult},
				{IsInbound: true, Tag: "api", Up: 99, Down: 99},
				{IsOutbound: true, Tag: "direct", Up: 3 * mult, Down: 4 * mult},
				{IsOutbound: true, Tag: "blocked", Up: 0, Down: 0},
			}
			return inbounds, clients
		}
		start := time.Now().UnixMilli()
		for _, mult := range []int64{1, 2} {
			in, cl := batch(mult)
			need, err := pipe.tick(in, cl)
			if err != nil || need {
				t.Fatalf("flush batch %d: need=%v err=%v", mult, need, err)
			}
		}
		rows := testdb.RowsOf(t, db, 0)
		for port, n := range sizes {
			for i := 0; i < n; i++ {
				email := fmt.Sprintf("p%d-c%d", port, i)
				r := rows[email]
				wantUp, wantDown := int64(i)*3, int64(i)*6
				if email == "p27000-c1" {
					wantUp += 2000
				}
				if r.Up != wantUp || r.Down != wantDown || r.AllTime != wantUp+wantDown {
					t.Fatalf("%s: up %d down %d all %d, want %d %d", email, r.Up, r.Down, r.AllTime, wantUp, wantDown)
				}
				if i > 0 && r.LastOnline < start {
					t.Fatalf("%s: last_online not stamped", email)
				}
				if i == 0 && r.LastOnline != 0 {
					t.Fatalf("%s: idle client stamped online", email)
				}
			}
		}
		if _, ok := rows["ghost"]; ok {
			t.Fatal("delta for an unknown email created a row")
		}
		var inbounds []model.Inbound
		db.Current().Order("port").Find(&inbounds)
		if inbounds[0].Up != 30 || inbounds[0].Down != 60 || inbounds[0].AllTime != 90 || inbounds[1].Up != 3 || inbounds[1].Down != 6 {
			t.Fatalf("inbound sums: %+v / %+v", inbounds[0], inbounds[1])
		}
		var outbounds []model.OutboundTraffics
		db.Current().Find(&outbounds)
		if len(outbounds) != 1 || outbounds[0].Tag != "direct" || outbounds[0].Up != 9 || outbounds[0].Down != 12 || outbounds[0].Total != 21 {
			t.Fatalf("outbound rows: %+v", outbounds)
		}
		if testdb.VersionOf(t, db) != v0 {
			t.Fatal("plain traffic bumped the shared version")
		}
	})
}

func TestFlushDisablesDepletedAndExpired(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		pipe := newPipeline(t, db, true)
		changes := 0
		s := inbound.NewNotifying(db, nil, sharedwrite.NotifierFunc(func(sharedwrite.Change) error { changes++; return nil }), nil)
		quota, expired, fine := inboundtest.Client(model.VLESS, "quota"), inboundtest.Client(model.VLESS, "expired"), inboundtest.Client(model.VLESS, "fine")
		quota["totalGB"] = 1000
		expired["expiryTime"] = time.Now().Add(-time.Minute).UnixMilli()
		fine["totalGB"] = 1 << 40
		fine["expiryTime"] = time.Now().Add(time.Hour).UnixMilli()
		in := addInbound(t, s, inboundtest.Inbound(model.VLESS, 28000, quota, expired, fine))
		limited := inboundtest.Inbound(model.Trojan, 28001, inboundtest.Client(model.Trojan, "t"))
		limited.Total = 5000
		limited = addInbound(t, s, limited)

		v0, c0 := testdb.VersionOf(t, db), changes
		need, err := pipe.tick(
			[]*xray.Traffic{{IsInbound: true, Tag: limited.Tag, Up: 4000, Down: 1000}},
			[]*xray.ClientTraffic{{Email: "quota", Up: 600, Down: 400}, {Email: "fine", Up: 10, Down: 10}})
		if err != nil || !need {
			t.Fatalf("need=%v err=%v", need, err)
		}
		// The flush reports the change (production applies Xray from the
		// flush's reconciled hook) instead of notifying the store's fan-out.
		if testdb.VersionOf(t, db) != v0+1 || changes != c0 {
			t.Fatalf("version %d->%d changes %d->%d; want one bump and no notification", v0, testdb.VersionOf(t, db), c0, changes)
		}
		rows := testdb.RowsOf(t, db, in.Id)
		clients := clientsOf(t, db, in.Id)
		for _, email := range []string{"quota", "expired"} {
			if rows[email].Enable || clients[email].Enable {
				t.Fatalf("%s not disabled: row %+v client %+v", email, rows[email], clients[email])
			}
		}
		if !rows["fine"].Enable || !clients["fine"].Enable {
			t.Fatal("healthy client disabled")
		}
		if clients["quota"].TotalGB != 1000 || clients["quota"].SubID != "s-quota" {
			t.Fatalf("patching lost client fields: %+v", clients["quota"])
		}
		got, _ := s.GetInbound(limited.Id)
		if got.Enable {
			t.Fatal("inbound over its total not disabled")
		}

		// Nothing new to do: no change, no bump.
		v1, c1 := testdb.VersionOf(t, db), changes
		if need, err := pipe.tick(nil, nil); err != nil || need {
			t.Fatalf("idle flush: need=%v err=%v", need, err)
		}
		if testdb.VersionOf(t, db) != v1 || changes != c1 {
			t.Fatal("idle flush bumped or notified")
		}
	})
}

func TestAutoRenewAndFirstUseExpiry(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		pipe := newPipeline(t, db, true)
		s := inbound.New(db, nil)
		now := time.Now()
		monthly, daily, lazy, idle := inboundtest.Client(model.VLESS, "monthly"), inboundtest.Client(model.VLESS, "daily"), inboundtest.Client(model.VLESS, "lazy"), inboundtest.Client(model.VLESS, "idle")
		monthlyExp := now.Add(-24 * time.Hour).UnixMilli()
		dailyExp := now.Add(-84 * time.Hour).UnixMilli() // 3.5 days ago
		monthly["reset"], monthly["expiryTime"], monthly["enable"] = 30, monthlyExp, false
		daily["reset"], daily["expiryTime"] = 1, dailyExp
		lazy["expiryTime"] = int64(-2 * 24 * time.Hour / time.Millisecond)
		idle["expiryTime"] = int64(-time.Hour / time.Millisecond)
		in := addInbound(t, s, inboundtest.Inbound(model.VLESS, 29000, monthly, daily, lazy, idle))
		testdb.ExecOn(t, db, "UPDATE client_traffics SET up = 100, down = 200, all_time = 300 WHERE email IN ?", []string{"monthly", "daily"})

		v0 := testdb.VersionOf(t, db)
		before := time.Now().UnixMilli()
		need, err := pipe.tick(nil, []*xray.ClientTraffic{{Email: "lazy", Up: 1, Down: 1}})
		after := time.Now().UnixMilli()
		if err != nil || !need {
			t.Fatalf("need=%v err=%v", need, err)
		}
		if testdb.VersionOf(t, db) != v0+1 {
			t.Fatal("renewal did not bump the version once")
		}
		rows, clients := testdb.RowsOf(t, db, in.Id), clientsOf(t, db, in.Id)
		day := int64(24 * time.Hour / time.Millisecond)
		if r := rows["monthly"]; r.ExpiryTime != monthlyExp+30*day || r.Up != 0 || r.Down != 0 || r.AllTime != 300 || !r.Enable {
			t.Fatalf("monthly renewal row: %+v", r)
		}
		if c := clients["monthly"]; c.ExpiryTime != monthlyExp+30*day || !c.Enable {
			t.Fatalf("monthly renewal JSON: %+v", c)
		}
		if r := rows["daily"]; r.ExpiryTime != dailyExp+4*day || clients["daily"].ExpiryTime != dailyExp+4*day {
			t.Fatalf("daily renewal must step whole periods into the future: %+v", r)
		}
		lazyRow := rows["lazy"]
		if lazyRow.ExpiryTime < before+2*day || lazyRow.ExpiryTime > after+2*day || clients["lazy"].ExpiryTime != lazyRow.ExpiryTime {
			t.Fatalf("first use did not start the expiry: row %d json %d", lazyRow.ExpiryTime, clients["lazy"].ExpiryTime)
		}
		if rows["idle"].ExpiryTime != -int64(time.Hour/time.Millisecond) || clients["idle"].ExpiryTime >= 0 {
			t.Fatal("client without traffic had its expiry started")
		}

		// Called directly (as the flush service does), the rules report a
		// change and leave the version bump to the caller.
		testdb.ExecOn(t, db, "UPDATE client_traffics SET total = 1, up = 5 WHERE email = ?", "idle")
		v1 := testdb.VersionOf(t, db)
		for want, round := true, 0; round < 2; want, round = false, round+1 {
			tx := db.Current().Begin()
			changed, err := (&traffic.Counters{}).ReconcileSharedTrafficState(tx)
			if err != nil || changed != want {
				tx.Rollback()
				t.Fatalf("round %d: changed=%v err=%v", round, changed, err)
			}
			if err := tx.Commit().Error; err != nil {
				t.Fatal(err)
			}
		}
		if testdb.VersionOf(t, db) != v1 || testdb.RowsOf(t, db, in.Id)["idle"].Enable {
			t.Fatal("ReconcileSharedTrafficState must disable without bumping")
		}
	})
}

func TestResetTrafficAndDelDepleted(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		pipe := newPipeline(t, db, true)
		s := inbound.New(db, nil)
		mk := func(email string, total, expiry int64, reset int) map[string]any {
			c := inboundtest.Client(model.VLESS, email)
			c["totalGB"], c["expiryTime"], c["reset"] = total, expiry, reset
			return c
		}
		past := time.Now().Add(-time.Hour).UnixMilli()
		in1 := addInbound(t, s, inboundtest.Inbound(model.VLESS, 30000, mk("over", 100, 0, 0), mk("old", 0, past, 0), mk("ok", 0, 0, 0)))
		in2 := addInbound(t, s, inboundtest.Inbound(model.VLESS, 30001, mk("over2", 100, 0, 0), mk("renews", 100, 0, 7)))
		testdb.ExecOn(t, db, "UPDATE client_traffics SET up = 80, down = 40, all_time = 120")
		if _, err := pipe.tick(nil, nil); err != nil { // disables over, old, over2, renews
			t.Fatal(err)
		}
		if testdb.RowsOf(t, db, 0)["over"].Enable || testdb.RowsOf(t, db, 0)["renews"].Enable {
			t.Fatal("setup: depleted clients should be disabled")
		}

		v0 := testdb.VersionOf(t, db)
		if err := s.ResetClientTraffic(in1.Id, "over"); err != nil {
			t.Fatal(err)
		}
		if err := s.ResetClientTraffic(in1.Id, "old"); err != nil {
			t.Fatal(err)
		}
		rows, clients := testdb.RowsOf(t, db, 0), clientsOf(t, db, in1.Id)
		if r := rows["over"]; r.Up != 0 || r.Down != 0 || r.AllTime != 120 || !r.Enable || !clients["over"].Enable {
			t.Fatalf("reset did not zero and re-enable: %+v %+v", r, clients["over"])
		}
		if rows["old"].Enable || clients["old"].Enable || rows["old"].Up != 0 {
			t.Fatal("reset must not re-enable an expired client")
		}
		if testdb.VersionOf(t, db) != v0+2 {
			t.Fatal("each reset bumps once")
		}
		before := testdb.DumpOf(t, db.Current())
		errstest.Want(t, s.ResetClientTraffic(in1.Id, "nobody"), errs.KindNotFound, "email")
		errstest.Want(t, s.ResetClientTraffic(in2.Id, "over"), errs.KindNotFound, "email")
		errstest.Want(t, s.ResetAllClientTraffics(999), errs.KindNotFound, "id")
		errstest.Want(t, s.DelDepletedClients(999), errs.KindNotFound, "id")
		testdb.AssertUnchangedOf(t, db.Current(), before)

		testdb.ExecOn(t, db, "UPDATE client_traffics SET up = 80, down = 40")
		if _, err := pipe.tick(nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.DelDepletedClients(in1.Id); err != nil {
			t.Fatal(err)
		}
		if got := clientsOf(t, db, in1.Id); len(got) != 1 || len(testdb.RowsOf(t, db, in1.Id)) != 1 {
			t.Fatalf("in1 after DelDepletedClients: %+v", got)
		}
		if len(clientsOf(t, db, in2.Id)) != 2 {
			t.Fatal("DelDepletedClients(in1) touched in2")
		}
		if err := s.DelDepletedClients(-1); err != nil {
			t.Fatal(err)
		}
		if got := clientsOf(t, db, in2.Id); len(got) != 1 || got["renews"].Email != "renews" {
			t.Fatalf("auto-renewing clients are never deleted: %+v", got)
		}

		testdb.ExecOn(t, db, "UPDATE client_traffics SET up = 5, down = 5")
		testdb.ExecOn(t, db, "UPDATE inbounds SET up = 9, down = 9, all_time = 18")
		if err := s.ResetAllClientTraffics(in2.Id); err != nil {
			t.Fatal(err)
		}
		if testdb.RowsOf(t, db, in2.Id)["renews"].Up != 0 || testdb.RowsOf(t, db, in1.Id)["ok"].Up != 5 {
			t.Fatal("ResetAllClientTraffics(id) scope wrong")
		}
		if err := s.ResetAllClientTraffics(-1); err != nil {
			t.Fatal(err)
		}
		if testdb.RowsOf(t, db, in1.Id)["ok"].Up != 0 {
			t.Fatal("ResetAllClientTraffics(-1) missed an inbound")
		}
		if err := s.ResetAllTraffics(); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetInbound(in1.Id)
		if got.Up != 0 || got.Down != 0 || got.AllTime != 18 {
			t.Fatalf("ResetAllTraffics: %+v", got)
		}
	})
}
