package inbound

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
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
)

func TestListClientsPaged(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s := New(db, nil)
		var vl, tr []map[string]any
		for i := range 30 {
			vl = append(vl, inboundtest.Client(model.VLESS, fmt.Sprintf("vl-%02d", i)))
		}
		for i := range 5 {
			tr = append(tr, inboundtest.Client(model.Trojan, fmt.Sprintf("tr_%02d", i)))
		}
		inV := svcAdd(t, s, inboundtest.Inbound(model.VLESS, 24100, vl...))
		inT := svcAdd(t, s, inboundtest.Inbound(model.Trojan, 24101, tr...))
		now := time.Now().UnixMilli()
		testdb.ExecOn(t, db, "UPDATE client_traffics SET up = 100, down = 50, total = 100 WHERE email = ?", "vl-03")
		testdb.ExecOn(t, db, "UPDATE client_traffics SET expiry_time = ? WHERE email = ?", now+3600_000, "vl-04")
		testdb.ExecOn(t, db, "UPDATE client_traffics SET enable = ? WHERE email = ?", false, "tr_01")

		page := func(q ClientPageQuery) *ClientPage {
			t.Helper()
			if q.Page == 0 {
				q.Page = 1
			}
			if q.PageSize == 0 {
				q.PageSize = 10
			}
			p, err := s.ListClientsPaged(q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			return p
		}
		p := page(ClientPageQuery{})
		if p.Total != 35 || len(p.Items) != 10 || p.Items[0].Email != "vl-00" || p.Items[0].Protocol != "vless" || p.Items[0].Remark != inV.Remark {
			t.Fatalf("first page: total %d, %+v", p.Total, p.Items)
		}
		if p = page(ClientPageQuery{Page: 4}); len(p.Items) != 5 || p.Items[4].Email != "tr_04" {
			t.Fatalf("last page: %+v", p.Items)
		}
		if p = page(ClientPageQuery{Page: 9}); len(p.Items) != 0 || p.Total != 35 {
			t.Fatalf("past the end: %+v", p)
		}
		// Search is case-insensitive and treats _ literally.
		if p = page(ClientPageQuery{Search: "TR_0"}); p.Total != 5 {
			t.Fatalf("search TR_0: %d", p.Total)
		}
		if p = page(ClientPageQuery{Search: "l-1"}); p.Total != 10 {
			t.Fatalf("search l-1: %d", p.Total)
		}
		if p = page(ClientPageQuery{Protocol: "trojan"}); p.Total != 5 {
			t.Fatalf("protocol: %d", p.Total)
		}
		if p = page(ClientPageQuery{Inbound: inT.Id, Sort: "email", Order: "desc"}); p.Total != 5 || p.Items[0].Email != "tr_04" {
			t.Fatalf("inbound+sort: %+v", p.Items)
		}
		if p = page(ClientPageQuery{Sort: "usage", Order: "descend", PageSize: 1}); p.Items[0].Email != "vl-03" || p.Items[0].Up != 100 {
			t.Fatalf("sort usage: %+v", p.Items)
		}
		for filter, want := range map[string]string{"depleted": "vl-03", "expiring": "vl-04", "disabled": "tr_01"} {
			if p = page(ClientPageQuery{Filter: filter}); p.Total != 1 || p.Items[0].Email != want {
				t.Fatalf("filter %s: %+v", filter, p.Items)
			}
		}
		if p = page(ClientPageQuery{Filter: "online", Online: []string{"vl-07", "tr_02"}}); p.Total != 2 || !p.Items[0].Online {
			t.Fatalf("online: %+v", p.Items)
		}
		if p = page(ClientPageQuery{Filter: "online"}); p.Total != 0 {
			t.Fatalf("online with nobody online: %+v", p)
		}
		for _, c := range []struct {
			q     ClientPageQuery
			field string
		}{
			{ClientPageQuery{Page: 0, PageSize: 10}, "page"},
			{ClientPageQuery{Page: 1, PageSize: 201}, "pageSize"},
			{ClientPageQuery{Page: 1, PageSize: 10, Filter: "x"}, "filter"},
			{ClientPageQuery{Page: 1, PageSize: 10, Sort: "password"}, "sort"},
			{ClientPageQuery{Page: 1, PageSize: 10, Order: "up"}, "order"},
			{ClientPageQuery{Page: 1, PageSize: 10, Protocol: "http"}, "protocol"},
		} {
			_, err := s.ListClientsPaged(c.q)
			errstest.Want(t, err, errs.KindInvalid, c.field)
		}

		d, err := s.GetClientDetail("vl-02")
		if err != nil {
			t.Fatal(err)
		}
		if d.Client.Email != "vl-02" || d.Inbound.Id != inV.Id {
			t.Fatalf("detail: %+v", d)
		}
		if cl, err := ParseInboundClients(d.Inbound.Settings); err != nil || len(cl) != 1 || cl[0].Email != "vl-02" {
			t.Fatalf("detail settings hold %d clients (%v)", len(cl), err)
		}
		_, err = s.GetClientDetail("nobody")
		errstest.Want(t, err, errs.KindNotFound, "email")
	})
}

func TestBulkClients(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		changes := 0
		s := NewNotifying(db, nil, sharedwrite.NotifierFunc(func(sharedwrite.Change) error { changes++; return nil }), nil)
		var vl, tr []map[string]any
		for i := range 4 {
			vl = append(vl, inboundtest.Client(model.VLESS, fmt.Sprintf("v%d", i)))
			tr = append(tr, inboundtest.Client(model.Trojan, fmt.Sprintf("t%d", i)))
		}
		inV := svcAdd(t, s, inboundtest.Inbound(model.VLESS, 24110, vl...))
		inT := svcAdd(t, s, inboundtest.Inbound(model.Trojan, 24111, tr...))

		bulk := func(r BulkRequest, want int) {
			t.Helper()
			v0, c0 := testdb.VersionOf(t, db), changes
			n, err := s.BulkClients(r)
			if err != nil || n != want {
				t.Fatalf("%+v: n=%d err=%v", r, n, err)
			}
			if testdb.VersionOf(t, db) != v0+1 || changes != c0+1 {
				t.Fatalf("%s: version %d->%d, changes %d->%d: want exactly one bump", r.Action, v0, testdb.VersionOf(t, db), c0, changes)
			}
		}
		bulk(BulkRequest{Action: BulkDisable, Emails: []string{"v0", "V1", "t2"}}, 3)
		if c := svcClientsOf(t, db, inV.Id); c["v0"].Enable || c["v1"].Enable || !c["v2"].Enable {
			t.Fatalf("disable in JSON: %+v", c)
		}
		if r := testdb.RowsOf(t, db, 0); r["v0"].Enable || r["t2"].Enable || !r["t1"].Enable {
			t.Fatalf("disable in rows: %+v", r)
		}
		bulk(BulkRequest{Action: BulkEnable, Emails: []string{"v0", "t2"}}, 2)
		if c := svcClientsOf(t, db, inT.Id); !c["t2"].Enable {
			t.Fatal("enable in JSON")
		}
		testdb.ExecOn(t, db, "UPDATE client_traffics SET up = 7, down = 9 WHERE email IN ('v2','t3')")
		bulk(BulkRequest{Action: BulkReset, Emails: []string{"v2", "t3"}}, 2)
		if r := testdb.RowsOf(t, db, 0); r["v2"].Up != 0 || r["t3"].Down != 0 {
			t.Fatalf("reset: %+v", r)
		}
		future := time.Now().Add(48 * time.Hour).UnixMilli()
		testdb.ExecOn(t, db, "UPDATE client_traffics SET expiry_time = ? WHERE email = 'v3'", future)
		testdb.ExecOn(t, db, "UPDATE client_traffics SET expiry_time = ? WHERE email = 't0'", -86400000)
		bulk(BulkRequest{Action: BulkExtend, Emails: []string{"v3", "t0", "t1"}, Days: 2}, 3)
		r := testdb.RowsOf(t, db, 0)
		if r["v3"].ExpiryTime != future+2*86400000 || r["t0"].ExpiryTime != -3*86400000 || r["t1"].ExpiryTime != 0 {
			t.Fatalf("extend rows: v3 %d t0 %d t1 %d", r["v3"].ExpiryTime, r["t0"].ExpiryTime, r["t1"].ExpiryTime)
		}
		if c := svcClientsOf(t, db, inV.Id); c["v3"].ExpiryTime != future+2*86400000 {
			t.Fatalf("extend JSON: %d", c["v3"].ExpiryTime)
		}
		bulk(BulkRequest{Action: BulkDelete, Emails: []string{"v0", "t0", "t1"}}, 3)
		if c := svcClientsOf(t, db, inT.Id); len(c) != 2 || c["t0"].Email != "" {
			t.Fatalf("delete JSON: %+v", c)
		}
		if r := testdb.RowsOf(t, db, 0); len(r) != 5 {
			t.Fatalf("delete rows: %d left", len(r))
		}

		// A missing email or a bad action changes nothing.
		before, v0 := testdb.DumpOf(t, db.Current()), testdb.VersionOf(t, db)
		_, err := s.BulkClients(BulkRequest{Action: BulkDelete, Emails: []string{"v1", "ghost"}})
		errstest.Want(t, err, errs.KindNotFound, "emails")
		_, err = s.BulkClients(BulkRequest{Action: "explode", Emails: []string{"v1"}})
		errstest.Want(t, err, errs.KindInvalid, "action")
		_, err = s.BulkClients(BulkRequest{Action: BulkExtend, Emails: []string{"v1"}})
		errstest.Want(t, err, errs.KindInvalid, "days")
		_, err = s.BulkClients(BulkRequest{Action: BulkEnable})
		errstest.Want(t, err, errs.KindInvalid, "emails")
		testdb.AssertUnchangedOf(t, db.Current(), before)
		if testdb.VersionOf(t, db) != v0 {
			t.Fatal("failed bulk calls bumped the version")
		}
	})
}

func TestAddManyClients(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s := New(db, nil)
		for i, p := range []model.Protocol{model.VLESS, model.VMESS, model.Trojan, model.Shadowsocks} {
			in := svcAdd(t, s, inboundtest.Inbound(p, 24120+i, inboundtest.Client(p, "first-"+string(p))))
			v0 := testdb.VersionOf(t, db)
			emails, err := s.AddManyClients(AddManyRequest{InboundId: in.Id, Prefix: string(p) + "-", Count: 100, TotalGB: 5 << 30})
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if len(emails) != 100 || testdb.VersionOf(t, db) != v0+1 {
				t.Fatalf("%s: %d emails, version %d->%d", p, len(emails), v0, testdb.VersionOf(t, db))
			}
			clients := svcClientsOf(t, db, in.Id)
			sample := clients[emails[42]]
			if len(clients) != 101 || sample.TotalGB != 5<<30 || sample.Key(string(p)) == "" {
				t.Fatalf("%s: %d clients, sample %+v", p, len(clients), clients[emails[42]])
			}
			if rows := testdb.RowsOf(t, db, in.Id); len(rows) != 101 {
				t.Fatalf("%s: %d rows", p, len(rows))
			}
		}
		_, err := s.AddManyClients(AddManyRequest{InboundId: 1, Prefix: "x", Count: 0})
		errstest.Want(t, err, errs.KindInvalid, "count")
		_, err = s.AddManyClients(AddManyRequest{InboundId: 999, Prefix: "x", Count: 2})
		errstest.Want(t, err, errs.KindNotFound, "id")
	})
}
