package inbound

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/errs/errstest"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
)

func TestInboundCRUDAllProtocols(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		changes := 0
		s := NewNotifying(db, nil, sharedwrite.NotifierFunc(func(sharedwrite.Change) error { changes++; return nil }), nil)
		port := 21000
		for _, p := range []model.Protocol{model.VLESS, model.VMESS, model.Trojan, model.Shadowsocks} {
			port++
			v0 := testdb.VersionOf(t, db)
			in := svcAdd(t, s, inboundtest.Inbound(p, port, inboundtest.Client(p, string(p)+"-a"), inboundtest.Client(p, string(p)+"-b")))
			if in.Id == 0 || in.Tag != "inbound-"+strconv.Itoa(port) || len(in.ClientStats) != 2 {
				t.Fatalf("%s: unexpected inbound %+v", p, in)
			}
			if testdb.VersionOf(t, db) != v0+1 {
				t.Fatalf("%s: version not bumped once", p)
			}
			got, err := s.GetInbound(in.Id)
			if err != nil || got.Protocol != p || len(got.ClientStats) != 2 {
				t.Fatalf("%s: GetInbound %+v %v", p, got, err)
			}
			clients := svcClientsOf(t, db, in.Id)
			if !clients[string(p)+"-a"].Enable {
				t.Fatalf("%s: client not stored enabled: %+v", p, clients)
			}
		}
		all, err := s.GetAllInbounds()
		if err != nil || len(all) != 4 {
			t.Fatalf("GetAllInbounds: %d %v", len(all), err)
		}
		for _, in := range all {
			if len(in.ClientStats) != 2 {
				t.Fatalf("ClientStats not preloaded for %s", in.Tag)
			}
		}
		if changes != 4 {
			t.Fatalf("OnChange ran %d times, want 4", changes)
		}
		mine, err := s.GetInbounds(0)
		if err != nil || len(mine) != 4 {
			t.Fatalf("GetInbounds(0): %d %v", len(mine), err)
		}
		if _, err := s.GetInbound(9999); errs.KindOf(err) != errs.KindNotFound {
			t.Fatalf("missing inbound: %v", err)
		}
	})
}

func TestUpdateInboundKeepsClientRowsInStep(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s := New(db, nil)
		a, bb, c := inboundtest.Client(model.VLESS, "keep"), inboundtest.Client(model.VLESS, "rename-me"), inboundtest.Client(model.VLESS, "drop-me")
		in := svcAdd(t, s, inboundtest.Inbound(model.VLESS, 22000, a, bb, c))
		testdb.ExecOn(t, db, "UPDATE client_traffics SET up = 100, down = 50 WHERE email IN ?", []string{"keep", "rename-me"})
		testdb.ExecOn(t, db, "INSERT INTO inbound_client_ips (client_email, ips) VALUES (?, ?), (?, ?)", "drop-me", "[]", "rename-me", "[]")

		bb["email"] = "renamed"
		bb["totalGB"] = 5000
		d := inboundtest.Client(model.VLESS, "new-one")
		in.Settings = inboundtest.Settings(model.VLESS, a, bb, d)
		in.Port = 22001
		v0 := testdb.VersionOf(t, db)
		out, err := s.UpdateInbound(in)
		if err != nil {
			t.Fatal(err)
		}
		if testdb.VersionOf(t, db) != v0+1 {
			t.Fatal("version not bumped once")
		}
		if out.Tag != "inbound-22001" {
			t.Fatalf("generated tag not refreshed with the port: %q", out.Tag)
		}
		rows := testdb.RowsOf(t, db, in.Id)
		if len(rows) != 3 || rows["keep"].Up != 100 || rows["renamed"].Up != 100 || rows["renamed"].Total != 5000 {
			t.Fatalf("rows after update: %+v", rows)
		}
		if _, ok := rows["drop-me"]; ok {
			t.Fatal("removed client's row kept")
		}
		if rows["new-one"].Enable != true {
			t.Fatalf("new row %+v", rows["new-one"])
		}
		var ips int64
		svcCount(t, db, "inbound_client_ips", &ips)
		if ips != 0 {
			t.Fatalf("IP rows of removed/renamed clients kept: %d", ips)
		}

		// Swapping two emails goes through temporary names, not a unique-key error.
		a["email"], bb["email"] = "renamed", "keep"
		in.Settings = inboundtest.Settings(model.VLESS, a, bb, d)
		if _, err := s.UpdateInbound(in); err != nil {
			t.Fatalf("swap emails: %v", err)
		}
		rows = testdb.RowsOf(t, db, in.Id)
		if rows["keep"].Total != 5000 || rows["renamed"].Total != 0 {
			t.Fatalf("swap lost the rows' identity: %+v", rows)
		}

		before := testdb.DumpOf(t, db.Current())
		missing := *in
		missing.Id = 777
		if _, err := s.UpdateInbound(&missing); errs.KindOf(err) != errs.KindNotFound {
			t.Fatalf("update of missing inbound: %v", err)
		}
		testdb.AssertUnchangedOf(t, db.Current(), before)

		if err := s.DelInbound(in.Id); err != nil {
			t.Fatal(err)
		}
		if len(testdb.RowsOf(t, db, 0)) != 0 {
			t.Fatal("DelInbound left client_traffics rows")
		}
		if err := s.DelInbound(in.Id); errs.KindOf(err) != errs.KindNotFound {
			t.Fatalf("second delete: %v", err)
		}
	})
}

func TestInboundValidationChangesNothing(t *testing.T) {
	t.Parallel()
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		db := testdb.Handle(t, b)
		s := New(db, nil)
		svcAdd(t, s, inboundtest.Inbound(model.VLESS, 23000, inboundtest.Client(model.VLESS, "taken@x")))
		specific := inboundtest.Inbound(model.Trojan, 23001, inboundtest.Client(model.Trojan, "t1"))
		specific.Listen = "127.0.0.1"
		svcAdd(t, s, specific)
		named := inboundtest.Inbound(model.VMESS, 23002, inboundtest.Client(model.VMESS, "v1"))
		named.Tag = "my-tag"
		svcAdd(t, s, named)

		ss2022 := func(serverKey, clientKey string) *model.Inbound {
			in := inboundtest.Inbound(model.Shadowsocks, 23100)
			in.Settings = `{"method":"2022-blake3-aes-128-gcm","password":"` + serverKey + `","network":"tcp,udp","clients":[{"email":"ss22","password":"` + clientKey + `"}]}`
			return in
		}
		key16 := base64.StdEncoding.EncodeToString(make([]byte, 16))
		key32 := base64.StdEncoding.EncodeToString(make([]byte, 32))
		vless := func(mut func(c map[string]any)) *model.Inbound {
			c := inboundtest.Client(model.VLESS, "fresh")
			mut(c)
			return inboundtest.Inbound(model.VLESS, 23200, c)
		}
		cases := []struct {
			name  string
			in    *model.Inbound
			kind  errs.ErrorKind
			field string
		}{
			{"protocol", func() *model.Inbound { in := inboundtest.Inbound(model.VLESS, 23200); in.Protocol = "socks"; return in }(), errs.KindInvalid, "protocol"},
			{"port zero", inboundtest.Inbound(model.VLESS, 0), errs.KindInvalid, "port"},
			{"port high", inboundtest.Inbound(model.VLESS, 70000), errs.KindInvalid, "port"},
			{"listen", func() *model.Inbound {
				in := inboundtest.Inbound(model.VLESS, 23200)
				in.Listen = "not-an-ip"
				return in
			}(), errs.KindInvalid, "listen"},
			{"settings json", func() *model.Inbound { in := inboundtest.Inbound(model.VLESS, 23200); in.Settings = "{nope"; return in }(), errs.KindInvalid, "settings"},
			{"settings empty", func() *model.Inbound { in := inboundtest.Inbound(model.VLESS, 23200); in.Settings = ""; return in }(), errs.KindInvalid, "settings"},
			{"stream json", func() *model.Inbound {
				in := inboundtest.Inbound(model.VLESS, 23200)
				in.StreamSettings = "[1]"
				return in
			}(), errs.KindInvalid, "streamSettings"},
			{"sniffing json", func() *model.Inbound { in := inboundtest.Inbound(model.VLESS, 23200); in.Sniffing = "{"; return in }(), errs.KindInvalid, "sniffing"},
			{"total", func() *model.Inbound { in := inboundtest.Inbound(model.VLESS, 23200); in.Total = -1; return in }(), errs.KindInvalid, "total"},
			{"email missing", vless(func(c map[string]any) { delete(c, "email") }), errs.KindInvalid, "email"},
			{"email charset", vless(func(c map[string]any) { c["email"] = "has space" }), errs.KindInvalid, "email"},
			{"email stats separator", vless(func(c map[string]any) { c["email"] = "a>>>b" }), errs.KindInvalid, "email"},
			{"vless id", vless(func(c map[string]any) { c["id"] = "not-a-uuid" }), errs.KindInvalid, "id"},
			{"vless flow", vless(func(c map[string]any) { c["flow"] = "xtls-rprx-direct" }), errs.KindInvalid, "flow"},
			{"vmess id", inboundtest.Inbound(model.VMESS, 23200, map[string]any{"email": "vm"}), errs.KindInvalid, "id"},
			{"trojan password", inboundtest.Inbound(model.Trojan, 23200, map[string]any{"email": "tr"}), errs.KindInvalid, "password"},
			{"ss password", inboundtest.Inbound(model.Shadowsocks, 23200, map[string]any{"email": "ss"}), errs.KindInvalid, "password"},
			{"ss method", func() *model.Inbound {
				in := inboundtest.Inbound(model.Shadowsocks, 23200, inboundtest.Client(model.Shadowsocks, "ss"))
				in.Settings = strings.Replace(in.Settings, "aes-256-gcm", "rc4-md5", 1)
				return in
			}(), errs.KindInvalid, "method"},
			{"ss2022 client key", ss2022(key16, "short"), errs.KindInvalid, "password"},
			{"ss2022 client key size", ss2022(key16, key32), errs.KindInvalid, "password"},
			{"ss2022 server key", ss2022("bad", key16), errs.KindInvalid, "password"},
			{"totalGB negative", vless(func(c map[string]any) { c["totalGB"] = -1 }), errs.KindInvalid, "totalGB"},
			{"totalGB type", vless(func(c map[string]any) { c["totalGB"] = "10" }), errs.KindInvalid, "totalGB"},
			{"limitIp", vless(func(c map[string]any) { c["limitIp"] = -2 }), errs.KindInvalid, "limitIp"},
			{"reset", vless(func(c map[string]any) { c["reset"] = -3 }), errs.KindInvalid, "reset"},
			{"email twice in request", inboundtest.Inbound(model.VLESS, 23200, inboundtest.Client(model.VLESS, "dup"), inboundtest.Client(model.VLESS, "DUP")), errs.KindConflict, "email"},
			{"id twice in request", func() *model.Inbound {
				a, c := inboundtest.Client(model.VLESS, "a1"), inboundtest.Client(model.VLESS, "a2")
				c["id"] = a["id"]
				return inboundtest.Inbound(model.VLESS, 23200, a, c)
			}(), errs.KindConflict, "id"},
			{"email in other inbound", vless(func(c map[string]any) { c["email"] = "taken@x" }), errs.KindConflict, "email"},
			{"email in other inbound, other case", vless(func(c map[string]any) { c["email"] = "TAKEN@x" }), errs.KindConflict, "email"},
			{"port of wildcard inbound", inboundtest.Inbound(model.VLESS, 23000), errs.KindConflict, "port"},
			{"wildcard over specific", inboundtest.Inbound(model.VLESS, 23001), errs.KindConflict, "port"},
			{"panel port", inboundtest.Inbound(model.VLESS, 2053), errs.KindConflict, "port"},
			{"template api port", inboundtest.Inbound(model.VLESS, 62789), errs.KindConflict, "port"},
			{"tag taken", func() *model.Inbound { in := inboundtest.Inbound(model.VLESS, 23200); in.Tag = "my-tag"; return in }(), errs.KindConflict, "tag"},
			{"tag charset", func() *model.Inbound { in := inboundtest.Inbound(model.VLESS, 23200); in.Tag = "a>>>b"; return in }(), errs.KindInvalid, "tag"},
			{"tag api", func() *model.Inbound { in := inboundtest.Inbound(model.VLESS, 23200); in.Tag = "api"; return in }(), errs.KindConflict, "tag"},
		}
		before := testdb.DumpOf(t, db.Current())
		for _, c := range cases {
			_, err := s.AddInbound(c.in)
			if err == nil {
				t.Fatalf("%s: accepted", c.name)
			}
			errstest.Want(t, err, c.kind, c.field)
			if !strings.HasPrefix(err.Error(), c.field+": ") {
				t.Fatalf("%s: message %q does not lead with the field", c.name, err)
			}
		}
		testdb.AssertUnchangedOf(t, db.Current(), before)

		// Things that must be accepted.
		caseA, caseB := inboundtest.Client(model.Trojan, "case-a"), inboundtest.Client(model.Trojan, "case-b")
		caseA["password"], caseB["password"] = "Secret", "secret"
		svcAdd(t, s, inboundtest.Inbound(model.Trojan, 23500, caseA, caseB)) // trojan passwords are case-sensitive
		other := inboundtest.Inbound(model.Trojan, 23001, inboundtest.Client(model.Trojan, "t2"))
		other.Listen = "127.0.0.2"
		svcAdd(t, s, other) // same port, different specific address
		if in := svcAdd(t, s, ss2022(key16, key16)); in.Tag != "inbound-23100" {
			t.Fatalf("tag %q", in.Tag)
		}
		firstUse := inboundtest.Client(model.VLESS, "first-use")
		firstUse["expiryTime"] = -86400000
		if in := svcAdd(t, s, inboundtest.Inbound(model.VLESS, 23300, firstUse)); in.ClientStats[0].ExpiryTime != -86400000 {
			t.Fatalf("negative expiry not kept: %+v", in.ClientStats)
		}
		if in := svcAdd(t, s, func() *model.Inbound {
			in := inboundtest.Inbound(model.VLESS, 23301)
			in.Listen = "127.0.0.1"
			return in
		}()); in.Tag != "inbound-127.0.0.1:23301" {
			t.Fatalf("tag with listen %q", in.Tag)
		}

		// A failed update changes nothing either.
		in := svcAdd(t, s, inboundtest.Inbound(model.VLESS, 23400, inboundtest.Client(model.VLESS, "u1")))
		before, v0 := testdb.DumpOf(t, db.Current()), testdb.VersionOf(t, db)
		clash := *in
		clash.Port = 23000
		if _, err := s.UpdateInbound(&clash); errs.KindOf(err) != errs.KindConflict {
			t.Fatalf("port clash on update: %v", err)
		}
		clash = *in
		clash.Settings = inboundtest.Settings(model.VLESS, inboundtest.Client(model.VLESS, "taken@x"))
		_, err := s.UpdateInbound(&clash)
		errstest.Want(t, err, errs.KindConflict, "email")
		testdb.AssertUnchangedOf(t, db.Current(), before)
		if testdb.VersionOf(t, db) != v0 {
			t.Fatal("failed writes bumped the version")
		}
	})
}

func svcCount(t testing.TB, db *database.Handle, table string, n *int64) {
	t.Helper()
	if err := db.Current().Table(table).Count(n).Error; err != nil {
		t.Fatal(err)
	}
}
