package inbound

import (
	"fmt"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/errs/errstest"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
)

func TestAddInboundClient(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		changes := 0
		s := NewNotifying(db, nil, sharedwrite.NotifierFunc(func(sharedwrite.Change) error { changes++; return nil }), nil)
		first := inboundtest.Client(model.VLESS, "c0")
		in := svcAdd(t, s, inboundtest.Inbound(model.VLESS, 24000, first))
		svcAdd(t, s, inboundtest.Inbound(model.Trojan, 24001, inboundtest.Client(model.Trojan, "elsewhere")))

		v0, changes0 := testdb.VersionOf(t, db), changes
		req := &model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, inboundtest.Client(model.VLESS, "c1"), map[string]any{"id": inboundtest.UUID(), "email": "c2"})}
		if err := s.AddInboundClient(req); err != nil {
			t.Fatal(err)
		}
		if testdb.VersionOf(t, db) != v0+1 || changes != changes0+1 {
			t.Fatalf("version %d->%d, changes %d->%d", v0, testdb.VersionOf(t, db), changes0, changes)
		}
		clients := svcClientsOf(t, db, in.Id)
		if len(clients) != 3 || !clients["c2"].Enable {
			t.Fatalf("clients after add: %+v (a client without \"enable\" is enabled)", clients)
		}
		if rows := testdb.RowsOf(t, db, in.Id); len(rows) != 3 || !rows["c2"].Enable {
			t.Fatalf("rows after add: %+v", rows)
		}

		before, v0 := testdb.DumpOf(t, db.Current()), testdb.VersionOf(t, db)
		dupID := inboundtest.Client(model.VLESS, "c3")
		dupID["id"] = first["id"]
		bad := []struct {
			name  string
			req   *model.Inbound
			kind  errs.ErrorKind
			field string
		}{
			{"email in other inbound", &model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, inboundtest.Client(model.VLESS, "elsewhere"))}, errs.KindConflict, "email"},
			{"email in this inbound", &model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, inboundtest.Client(model.VLESS, "C1"))}, errs.KindConflict, "email"},
			{"id in this inbound", &model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, dupID)}, errs.KindConflict, "id"},
			{"no clients", &model.Inbound{Id: in.Id, Settings: `{"clients":[]}`}, errs.KindInvalid, "settings"},
			{"bad json", &model.Inbound{Id: in.Id, Settings: `{"clients":`}, errs.KindInvalid, "settings"},
			{"bad uuid", &model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, map[string]any{"id": "x", "email": "c4"})}, errs.KindInvalid, "id"},
			{"missing inbound", &model.Inbound{Id: 999, Settings: inboundtest.Settings(model.VLESS, inboundtest.Client(model.VLESS, "c5"))}, errs.KindNotFound, "id"},
		}
		for _, c := range bad {
			errstest.Want(t, s.AddInboundClient(c.req), c.kind, c.field)
		}
		testdb.AssertUnchangedOf(t, db.Current(), before)
		if testdb.VersionOf(t, db) != v0 {
			t.Fatal("failed adds bumped the version")
		}
	})
}

func TestUpdateAndDeleteInboundClient(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s := New(db, nil)
		a, c := inboundtest.Client(model.VLESS, "a"), inboundtest.Client(model.VLESS, "c")
		in := svcAdd(t, s, inboundtest.Inbound(model.VLESS, 25000, a, c))
		svcAdd(t, s, inboundtest.Inbound(model.VMESS, 25001, inboundtest.Client(model.VMESS, "other")))
		testdb.ExecOn(t, db, "UPDATE client_traffics SET up = 7, down = 3 WHERE email = ?", "a")

		updated := map[string]any{"id": a["id"], "email": "a2", "totalGB": 1 << 30, "enable": true, "comment": "vip"}
		v0 := testdb.VersionOf(t, db)
		if err := s.UpdateInboundClient(&model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, updated)}, a["id"].(string)); err != nil {
			t.Fatal(err)
		}
		rows := testdb.RowsOf(t, db, in.Id)
		if r := rows["a2"]; r.Up != 7 || r.Down != 3 || r.Total != 1<<30 {
			t.Fatalf("renamed row lost counters: %+v", rows)
		}
		if _, ok := rows["a"]; ok || len(rows) != 2 || testdb.VersionOf(t, db) != v0+1 {
			t.Fatalf("old row kept or version wrong: %+v", rows)
		}
		if got := svcClientsOf(t, db, in.Id)["a2"]; got.Comment != "vip" || got.ID != a["id"] {
			t.Fatalf("client not replaced: %+v", got)
		}
		// Same email, new limit: allowed.
		updated["limitIp"] = 2
		if err := s.UpdateInboundClient(&model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, updated)}, a["id"].(string)); err != nil {
			t.Fatalf("update keeping the email: %v", err)
		}

		before, v0 := testdb.DumpOf(t, db.Current()), testdb.VersionOf(t, db)
		clashEmail := map[string]any{"id": a["id"], "email": "other"}
		clashID := map[string]any{"id": c["id"], "email": "a2"}
		two := inboundtest.Settings(model.VLESS, inboundtest.Client(model.VLESS, "x1"), inboundtest.Client(model.VLESS, "x2"))
		errstest.Want(t, s.UpdateInboundClient(&model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, clashEmail)}, a["id"].(string)), errs.KindConflict, "email")
		errstest.Want(t, s.UpdateInboundClient(&model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, clashID)}, a["id"].(string)), errs.KindConflict, "id")
		errstest.Want(t, s.UpdateInboundClient(&model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, updated)}, inboundtest.UUID()), errs.KindNotFound, "clientId")
		errstest.Want(t, s.UpdateInboundClient(&model.Inbound{Id: in.Id, Settings: two}, a["id"].(string)), errs.KindInvalid, "settings")
		errstest.Want(t, s.DelInboundClient(in.Id, inboundtest.UUID()), errs.KindNotFound, "clientId")
		errstest.Want(t, s.DelInboundClientByEmail(in.Id, "nobody"), errs.KindNotFound, "email")
		errstest.Want(t, s.DelInboundClient(999, "x"), errs.KindNotFound, "id")
		testdb.AssertUnchangedOf(t, db.Current(), before)
		if testdb.VersionOf(t, db) != v0 {
			t.Fatal("failed writes bumped the version")
		}

		if err := s.DelInboundClient(in.Id, c["id"].(string)); err != nil {
			t.Fatal(err)
		}
		if err := s.DelInboundClientByEmail(in.Id, "A2"); err != nil {
			t.Fatal(err)
		}
		if n := len(svcClientsOf(t, db, in.Id)); n != 0 || len(testdb.RowsOf(t, db, in.Id)) != 0 {
			t.Fatalf("clients or rows left: %d %+v", n, testdb.RowsOf(t, db, in.Id))
		}
		if testdb.VersionOf(t, db) != v0+2 {
			t.Fatal("each delete bumps once")
		}

		// Trojan clients are addressed by password, shadowsocks by email.
		tr := svcAdd(t, s, inboundtest.Inbound(model.Trojan, 25002, inboundtest.Client(model.Trojan, "tr1"), inboundtest.Client(model.Trojan, "tr2")))
		if err := s.DelInboundClient(tr.Id, "pw-tr1"); err != nil {
			t.Fatal(err)
		}
		ss := svcAdd(t, s, inboundtest.Inbound(model.Shadowsocks, 25003, inboundtest.Client(model.Shadowsocks, "ss1"), inboundtest.Client(model.Shadowsocks, "ss2")))
		if err := s.DelInboundClient(ss.Id, "ss2"); err != nil {
			t.Fatal(err)
		}
		if _, ok := testdb.RowsOf(t, db, tr.Id)["tr1"]; ok || len(testdb.RowsOf(t, db, tr.Id)) != 1 || len(testdb.RowsOf(t, db, ss.Id)) != 1 {
			t.Fatal("trojan/shadowsocks delete by key failed")
		}
	})
}

func TestClientQueries(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s := New(db, nil)
		var clients []map[string]any
		for i := 0; i < 25; i++ {
			c := inboundtest.Client(model.VLESS, fmt.Sprintf("user%02d", i))
			if i%5 == 0 {
				c["comment"] = "Gold plan"
			}
			clients = append(clients, c)
		}
		in := svcAdd(t, s, inboundtest.Inbound(model.VLESS, 26000, clients...))
		svcAdd(t, s, inboundtest.Inbound(model.Trojan, 26001, inboundtest.Client(model.Trojan, "trojan-user")))
		testdb.ExecOn(t, db, "UPDATE client_traffics SET up = 11 WHERE email = ?", "user12")

		page, total, err := s.GetClientsPage(in.Id, 2, 10, "")
		if err != nil || total != 25 || len(page) != 10 || page[0].Email != "user10" {
			t.Fatalf("page 2: total %d len %d err %v", total, len(page), err)
		}
		if page[2].Traffic == nil || page[2].Traffic.Up != 11 || page[2].InboundId != in.Id {
			t.Fatalf("traffic not attached: %+v", page[2])
		}
		page, total, _ = s.GetClientsPage(in.Id, 3, 10, "")
		if total != 25 || len(page) != 5 {
			t.Fatalf("last page: %d of %d", len(page), total)
		}
		page, total, _ = s.GetClientsPage(in.Id, 1, 50, "gold")
		if total != 5 || len(page) != 5 {
			t.Fatalf("comment filter: %d", total)
		}
		page, total, _ = s.GetClientsPage(-1, 1, 50, "USER")
		if total != 26 {
			t.Fatalf("all inbounds, case-insensitive email filter: %d", total)
		}
		if page, total, _ = s.GetClientsPage(in.Id, 9, 10, ""); len(page) != 0 || total != 25 {
			t.Fatalf("page past the end: %d %d", len(page), total)
		}
		_, _, err = s.GetClientsPage(in.Id, 0, 10, "")
		errstest.Want(t, err, errs.KindInvalid, "page")
		_, _, err = s.GetClientsPage(in.Id, 1, 0, "")
		errstest.Want(t, err, errs.KindInvalid, "size")
		_, _, err = s.GetClientsPage(999, 1, 10, "")
		errstest.Want(t, err, errs.KindNotFound, "id")

		row, err := s.GetClientTrafficByEmail("user12")
		if err != nil || row.Up != 11 || row.InboundId != in.Id {
			t.Fatalf("GetClientTrafficByEmail: %+v %v", row, err)
		}
		_, err = s.GetClientTrafficByEmail("nobody")
		errstest.Want(t, err, errs.KindNotFound, "email")
		owner, c, err := s.GetClientByEmail("trojan-user")
		if err != nil || owner.Protocol != model.Trojan || c.Password != "pw-trojan-user" {
			t.Fatalf("GetClientByEmail: %v %+v", err, c)
		}
	})
}
