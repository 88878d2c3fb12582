package app

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// Keys of 3x-ui v3.6's answers (ClientRecord JSON, ClientWithAttachments,
// client_traffics JSON, the get/:email payload), docs/upstream-v3.md §1.1.
var (
	v3RecordKeys = []string{"id", "email", "subId", "uuid", "password", "auth", "flow", "security", "reverse",
		"privateKey", "publicKey", "allowedIPs", "preSharedKey", "keepAlive", "secret", "adTag", "limitIp",
		"totalGB", "expiryTime", "enable", "tgId", "group", "comment", "reset", "createdAt", "updatedAt"}
	v3TrafficKeys = []string{"id", "inboundId", "enable", "email", "uuid", "subId", "up", "down", "expiryTime",
		"total", "reset", "lastOnline"}
	// inbound is this panel's addition (the web UI edits from it).
	v3DetailKeys = []string{"client", "inboundIds", "externalLinks", "usedTraffic", "inbound"}
)

// sameKeys fails unless m has exactly keys.
func sameKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	var got []string
	for k := range m {
		got = append(got, k)
	}
	want := append([]string(nil), keys...)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s keys:\n got %v\nwant %v", what, got, want)
	}
}

func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not an object: %v", v)
	}
	return m
}

func asList(t *testing.T, v any) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("not an array: %v", v)
	}
	return l
}

// A v3 script's session on the clients routes, by cookie (csrf-token →
// login → add/update/del → subLinks → logout) and by Bearer token, with a
// Unicode email; shapes checked key by key against v3.6's.
func TestV3ClientsSession(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.client()
		c.csrf = c.do("GET", "csrf-token", nil).expectOK().Msg.Obj.(string)
		c.do("POST", "login", map[string]string{"username": "admin", "password": "admin"}).expectOK()
		c.api("POST", "inbounds/add", vlessInbound(hostPort(31061), vlessClient("seed@x"))).expectOK()
		c.api("POST", "inbounds/add", vlessInbound(hostPort(31062), vlessClient("other@x"))).expectOK()
		ins := asList(t, c.api("GET", "inbounds/list", nil).expectOK().Msg.Obj)
		id1 := asMap(t, ins[0])["id"].(float64)
		id2 := asMap(t, ins[1])["id"].(float64)

		const email = "ирина@example"
		esc := url.PathEscape(email)
		add := c.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": email, "comment": "v3", "enable": false}, "inboundIds": []float64{id1}}).expectOK()
		if add.Msg.Obj != nil {
			t.Fatalf("add obj = %v, want null", add.Msg.Obj)
		}

		det := c.api("GET", "clients/get/"+esc, nil).expectOK().obj()
		sameKeys(t, "get/:email", det, v3DetailKeys...)
		rec := asMap(t, det["client"])
		sameKeys(t, "get/:email client", rec, v3RecordKeys...)
		if rec["email"] != email || rec["uuid"] == "" || rec["subId"] == "" || rec["enable"] != true || rec["reverse"] != nil {
			t.Fatalf("added client (v3 generates uuid and subId, forces enable): %v", rec)
		}
		if ids := asList(t, det["inboundIds"]); len(ids) != 1 || ids[0] != id1 {
			t.Fatalf("inboundIds = %v", ids)
		}
		if l := asList(t, det["externalLinks"]); len(l) != 0 || det["usedTraffic"] != float64(0) {
			t.Fatalf("get payload: %v", det)
		}
		subID := rec["subId"].(string)

		var listed map[string]any
		for _, e := range asList(t, c.api("GET", "clients/list", nil).expectOK().Msg.Obj) {
			if m := asMap(t, e); m["email"] == email {
				listed = m
			}
		}
		if listed == nil {
			t.Fatal("clients/list lacks the added client")
		}
		sameKeys(t, "list entry", listed, append(v3RecordKeys, "inboundIds", "traffic")...)
		sameKeys(t, "list traffic", asMap(t, listed["traffic"]), v3TrafficKeys...)
		sameKeys(t, "traffic/:email", c.api("GET", "clients/traffic/"+esc, nil).expectOK().obj(), v3TrafficKeys...)

		// Bad input: 400 naming the field, nothing changed. Emails are
		// unique case-insensitively in any script (SQLite's own LOWER folds
		// ASCII only: the panel registers a Unicode one).
		c.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": "ÖLE@x"}, "inboundIds": []float64{id2}}).expectOK()
		before := env.dbState(t)
		c.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": "öle@x"}, "inboundIds": []float64{id1}}).expectFail(http.StatusConflict, "email")
		c.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": "a/b"}, "inboundIds": []float64{id1}}).expectFail(http.StatusBadRequest, "email")
		c.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": "two@x"}, "inboundIds": []float64{id1, id2}}).expectFail(http.StatusBadRequest, "inboundIds")
		c.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": "none@x"}}).expectFail(http.StatusBadRequest, "inboundIds")
		c.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": "ИРИНА@example"}, "inboundIds": []float64{id2}}).expectFail(http.StatusConflict, "email")
		c.api("POST", "clients/"+esc+"/attach", map[string]any{"inboundIds": []float64{id2}}).expectFail(http.StatusBadRequest, "inboundIds")
		c.api("POST", "clients/"+esc+"/detach", map[string]any{"inboundIds": []float64{id1}}).expectFail(http.StatusBadRequest, "inboundIds")
		c.api("POST", "clients/bulkAttach", map[string]any{"emails": []string{email}, "inboundIds": []float64{id2}}).expectFail(http.StatusBadRequest, "inboundIds")
		c.api("POST", "clients/update/"+esc+"?inboundIds=999", map[string]any{"email": email}).expectFail(http.StatusBadRequest, "inboundIds")
		c.api("POST", "clients/del/"+esc+"?keepTraffic=1", nil).expectFail(http.StatusBadRequest, "keepTraffic")
		if env.dbState(t) != before {
			t.Fatal("a refused request changed the database")
		}
		c.api("POST", "clients/"+esc+"/attach", map[string]any{"inboundIds": []float64{id1}}).expectOK()
		// v3's re-add (same email and subId) to the client's own inbound
		// changes nothing; to another inbound it would need clients across
		// inbounds; with another subId the email is taken.
		c.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": email, "subId": subID}, "inboundIds": []float64{id1}}).expectOK()
		c.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": email, "subId": subID}, "inboundIds": []float64{id2}}).expectFail(http.StatusBadRequest, "inboundIds")
		c.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": email, "subId": "othersub"}, "inboundIds": []float64{id1}}).expectFail(http.StatusConflict, "email")
		if env.dbState(t) != before {
			t.Fatal("a re-add changed the database")
		}

		upd := map[string]any{"email": email, "totalGB": 1 << 30, "comment": "changed", "enable": true}
		c.api("POST", "clients/update/"+esc+"?inboundIds="+itoa(int(id1)), upd).expectOK()
		rec = asMap(t, c.api("GET", "clients/get/"+esc, nil).expectOK().obj()["client"])
		if rec["totalGB"] != float64(1<<30) || rec["comment"] != "changed" || rec["subId"] != subID {
			t.Fatalf("after update (credentials and subId kept): %v", rec)
		}

		// A script may send get/:email's client back (v3's record keys).
		rec["comment"] = "round trip"
		c.api("POST", "clients/update/"+esc, rec).expectOK()
		back := asMap(t, c.api("GET", "clients/get/"+esc, nil).expectOK().obj()["client"])
		if back["comment"] != "round trip" || back["uuid"] != rec["uuid"] || back["totalGB"] != rec["totalGB"] || back["id"] != rec["id"] {
			t.Fatalf("record sent back: %v, want %v", back, rec)
		}

		links := asList(t, c.api("GET", "clients/subLinks/"+subID, nil).expectOK().Msg.Obj)
		if len(links) != 1 {
			t.Fatalf("subLinks = %v", links)
		}
		link := links[0].(string)
		u, err := url.Parse(link)
		if err != nil || u.Scheme != "vless" || u.User.Username() != rec["uuid"] {
			t.Fatalf("link %q: %v", link, err)
		}
		// The fragment (remark) carries the email percent-encoded.
		if !strings.Contains(link, "#") || strings.Contains(strings.SplitN(link, "#", 2)[1], "и") || !strings.Contains(u.Fragment, email) {
			t.Fatalf("link %q: fragment must hold %q percent-encoded", link, email)
		}
		if got := asList(t, c.api("GET", "clients/links/"+esc, nil).expectOK().Msg.Obj); len(got) != 1 || got[0] != link {
			t.Fatalf("links/:email = %v, want [%s]", got, link)
		}

		c.api("POST", "clients/del/"+esc, nil).expectOK()
		c.api("GET", "clients/get/"+esc, nil).expectFail(http.StatusNotFound, "email")
		c.do("POST", "logout", nil).expectOK()
		c.api("GET", "clients/list", nil).expectFail(http.StatusUnauthorized, "not logged in")

		// The same script with a Bearer token: no session, no CSRF token.
		admin := env.loggedIn()
		tok := admin.api("POST", "setting/apiTokens/create", map[string]string{"name": "v3"}).expectOK().obj()["token"].(string)
		bc := env.client()
		bc.bearer = tok
		bc.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": "bearer-ü@x"}, "inboundIds": []float64{id2}}).expectOK()
		be := url.PathEscape("bearer-ü@x")
		rec = asMap(t, bc.api("GET", "clients/get/"+be, nil).expectOK().obj()["client"])
		bc.api("POST", "clients/update/"+be, map[string]any{"email": "bearer-ü@x", "limitIp": 2}).expectOK()
		if got := asMap(t, bc.api("GET", "clients/get/"+be, nil).expectOK().obj()["client"]); got["limitIp"] != float64(2) || got["uuid"] != rec["uuid"] {
			t.Fatalf("bearer update: %v", got)
		}
		if got := asList(t, bc.api("GET", "clients/subLinks/"+rec["subId"].(string), nil).expectOK().Msg.Obj); len(got) != 1 {
			t.Fatalf("bearer subLinks = %v", got)
		}
		bc.api("POST", "clients/del/"+be, nil).expectOK()
		bc.api("GET", "clients/get/"+be, nil).expectFail(http.StatusNotFound, "email")
	})
}

// The v3 bulk, import/export, traffic and online routes on today's model.
func TestV3ClientsBulk(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		c.api("POST", "inbounds/add", vlessInbound(hostPort(31063), vlessClient("a@x"), vlessClient("b@x"))).expectOK()
		ins := asList(t, c.api("GET", "inbounds/list", nil).expectOK().Msg.Obj)
		id := asMap(t, ins[0])["id"].(float64)
		emails := func(e ...string) map[string]any { return map[string]any{"emails": e} }

		got := c.api("POST", "clients/bulkCreate", []map[string]any{
			{"client": map[string]any{"email": "c@x"}, "inboundIds": []float64{id}},
			{"client": map[string]any{"email": "d@x"}, "inboundIds": []float64{id, id + 1}},
		}).expectOK().obj()
		sk := asList(t, got["skipped"])
		if got["created"] != float64(1) || len(sk) != 1 || asMap(t, sk[0])["email"] != "d@x" || !strings.Contains(asMap(t, sk[0])["reason"].(string), "inboundIds") {
			t.Fatalf("bulkCreate = %v", got)
		}
		sameKeys(t, "bulkCreate skipped", asMap(t, sk[0]), "email", "reason")

		exp := asList(t, c.api("GET", "clients/export", nil).expectOK().Msg.Obj)
		if len(exp) != 3 {
			t.Fatalf("export = %v", exp)
		}
		one := asMap(t, exp[2])
		sameKeys(t, "export item", one, "client", "inboundIds")
		cl := asMap(t, one["client"])
		cl["email"], cl["id"], cl["subId"] = "e@x", newTestUUID(), ""
		if got := c.api("POST", "clients/import", map[string]any{"data": mustJSON([]any{one})}).expectOK().obj(); got["created"] != float64(1) {
			t.Fatalf("import = %v", got)
		}
		c.api("POST", "clients/import", map[string]any{"data": "not json"}).expectFail(http.StatusBadRequest, "data")

		if got := c.api("POST", "clients/bulkDisable", emails("a@x", "b@x")).expectOK().obj(); got["changed"] != float64(2) {
			t.Fatalf("bulkDisable = %v", got)
		}
		if rec := asMap(t, c.api("GET", "clients/get/a@x", nil).expectOK().obj()["client"]); rec["enable"] != false {
			t.Fatalf("after bulkDisable: %v", rec)
		}
		if got := c.api("POST", "clients/bulkEnable", emails("a@x", "b@x")).expectOK().obj(); got["changed"] != float64(2) {
			t.Fatalf("bulkEnable = %v", got)
		}
		before := env.dbState(t)
		c.api("POST", "clients/bulkAdjust", map[string]any{"emails": []string{"a@x"}, "addBytes": 5}).expectFail(http.StatusBadRequest, "addDays")
		c.api("POST", "clients/bulkAdjust", map[string]any{"emails": []string{"a@x"}, "addDays": 1, "addBytes": 5}).expectFail(http.StatusBadRequest, "addBytes")
		c.api("POST", "clients/updateTraffic/a@x", map[string]any{"upload": -1, "download": 0}).expectFail(http.StatusBadRequest, "upload")
		c.api("POST", "clients/bulkDel", map[string]any{"emails": []string{"c@x"}, "keepTraffic": true}).expectFail(http.StatusBadRequest, "keepTraffic")
		c.api("POST", "clients/bulkDetach", map[string]any{"emails": []string{"c@x"}, "inboundIds": []float64{id}}).expectFail(http.StatusBadRequest, "inboundIds")
		c.api("GET", "clients/get/tgId/abc", nil).expectFail(http.StatusBadRequest, "tgId")
		if env.dbState(t) != before {
			t.Fatal("a refused request changed the database")
		}
		if got := c.api("POST", "clients/bulkAdjust", map[string]any{"emails": []string{"a@x"}, "addDays": 10}).expectOK().obj(); got["adjusted"] != float64(1) {
			t.Fatalf("bulkAdjust = %v", got)
		}

		c.api("POST", "clients/updateTraffic/a@x", map[string]any{"upload": 100, "download": 200}).expectOK()
		tr := c.api("GET", "clients/traffic/a@x", nil).expectOK().obj()
		if tr["up"] != float64(100) || tr["down"] != float64(200) {
			t.Fatalf("after updateTraffic: %v", tr)
		}
		if got := c.api("POST", "clients/bulkResetTraffic", emails("a@x")).expectOK().obj(); got["affected"] != float64(1) {
			t.Fatalf("bulkResetTraffic = %v", got)
		}
		if tr := c.api("GET", "clients/traffic/a@x", nil).expectOK().obj(); tr["up"] != float64(0) || tr["down"] != float64(0) {
			t.Fatalf("after bulkResetTraffic: %v", tr)
		}
		c.api("POST", "clients/resetTraffic/a@x", nil).expectOK()

		// tgId lookup.
		rec := asMap(t, c.api("GET", "clients/get/b@x", nil).expectOK().obj()["client"])
		c.api("POST", "clients/update/b@x", map[string]any{"email": "b@x", "tgId": 123456789, "enable": true}).expectOK()
		byTg := asList(t, c.api("GET", "clients/get/tgId/123456789", nil).expectOK().Msg.Obj)
		if len(byTg) != 1 || asMap(t, asMap(t, byTg[0])["client"])["uuid"] != rec["uuid"] {
			t.Fatalf("get/tgId = %v", byTg)
		}
		sameKeys(t, "get/tgId item", asMap(t, byTg[0]), "client", "inboundIds", "externalLinks", "usedTraffic")

		// Online state and IPs: nobody connected.
		if l := asList(t, c.api("POST", "clients/onlines", nil).expectOK().Msg.Obj); len(l) != 0 {
			t.Fatalf("onlines = %v", l)
		}
		c.api("POST", "clients/lastOnline", nil).expectOK().obj()
		if m := c.api("POST", "clients/activeInbounds", nil).expectOK().obj(); len(m) != 0 {
			t.Fatalf("activeInbounds = %v", m)
		}
		if l := asList(t, c.api("POST", "clients/ips/a@x", nil).expectOK().Msg.Obj); len(l) != 0 {
			t.Fatalf("ips = %v", l)
		}
		// An address the IP limiter recorded, in v3's shape.
		seen := time.Date(2026, 7, 1, 12, 30, 0, 0, time.Local)
		row := model.InboundClientIps{ClientEmail: "a@x", Ips: mustJSON([]map[string]any{{"ip": "198.51.100.7", "firstSeen": seen.Unix(), "lastSeen": seen.Unix()}})}
		if err := env.db.Current().Create(&row).Error; err != nil {
			t.Fatal(err)
		}
		ips := asList(t, c.api("POST", "clients/ips/a@x", nil).expectOK().Msg.Obj)
		if len(ips) != 1 {
			t.Fatalf("ips = %v", ips)
		}
		ip := asMap(t, ips[0])
		sameKeys(t, "ips item", ip, "ip", "time", "node")
		if ip["ip"] != "198.51.100.7" || ip["time"] != "2026-07-01 12:30:00" || ip["node"] != "" {
			t.Fatalf("ips item = %v", ip)
		}
		c.api("POST", "clients/clearIps/a@x", nil).expectOK()
		if l := asList(t, c.api("POST", "clients/ips/a@x", nil).expectOK().Msg.Obj); len(l) != 0 {
			t.Fatalf("ips after clearIps = %v", l)
		}

		// Depleted: over quota, no auto-renew.
		c.api("POST", "clients/update/c@x", map[string]any{"email": "c@x", "totalGB": 1000, "enable": true}).expectOK()
		c.api("POST", "clients/updateTraffic/c@x", map[string]any{"upload": 600, "download": 600}).expectOK()
		if got := c.api("POST", "clients/delDepleted", nil).expectOK().obj(); got["deleted"] != float64(1) {
			t.Fatalf("delDepleted = %v", got)
		}
		c.api("GET", "clients/get/c@x", nil).expectFail(http.StatusNotFound, "email")
		if got := c.api("POST", "clients/bulkDel", emails("e@x")).expectOK().obj(); got["deleted"] != float64(1) {
			t.Fatalf("bulkDel = %v", got)
		}
		if got := c.api("POST", "clients/delOrphans", nil).expectOK().obj(); got["deleted"] != float64(0) {
			t.Fatalf("delOrphans = %v", got)
		}
		c.api("POST", "clients/resetAllTraffics", nil).expectOK()
		if n := len(asList(t, c.api("GET", "clients/list", nil).expectOK().Msg.Obj)); n != 2 {
			t.Fatalf("clients left = %d, want a@x and b@x", n)
		}
	})
}

// A reseller on v3's clients routes: its adds are its own and count
// against its allowance; it sees and changes only its clients.
func TestV3ClientsReseller(t *testing.T) {
	t.Parallel() // own database and App
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		owner := env.loggedIn()
		in := owner.api("POST", "inbounds/add", vlessInbound(hostPort(31064), vlessClient("owned@x"))).expectOK().obj()
		id := in["id"].(float64)
		addAdmin(owner, "resv", auth.RoleReseller, 1, 3000)
		r := env.loginAs("resv", "password-resv")

		r.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": "mine@x", "totalGB": 1000}, "inboundIds": []float64{id}}).expectOK()
		before := env.dbState(t)
		r.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": "more@x", "totalGB": 1000}, "inboundIds": []float64{id}}).expectFail(http.StatusForbidden, "maxClients")
		r.api("POST", "clients/update/owned@x", map[string]any{"email": "owned@x", "comment": "x"}).expectFail(http.StatusForbidden, "owned@x")
		r.api("POST", "clients/del/owned@x", nil).expectFail(http.StatusForbidden, "owned@x")
		r.api("POST", "clients/bulkDisable", map[string]any{"emails": []string{"owned@x"}}).expectFail(http.StatusForbidden, "owned@x")
		r.api("POST", "clients/updateTraffic/owned@x", map[string]any{"upload": 1}).expectFail(http.StatusForbidden, "permission clients.reset")
		r.api("POST", "clients/delDepleted", nil).expectFail(http.StatusForbidden, "permission inbounds.write")
		r.api("GET", "clients/get/owned@x", nil).expectFail(http.StatusForbidden, "email")
		if env.dbState(t) != before {
			t.Fatal("a refused request changed the database")
		}
		list := asList(t, r.api("GET", "clients/list", nil).expectOK().Msg.Obj)
		if len(list) != 1 || asMap(t, list[0])["email"] != "mine@x" {
			t.Fatalf("reseller's clients/list = %v", list)
		}
		if exp := asList(t, r.api("GET", "clients/export", nil).expectOK().Msg.Obj); len(exp) != 1 {
			t.Fatalf("reseller's export = %v", exp)
		}
		r.api("POST", "clients/update/mine@x", map[string]any{"email": "mine@x", "totalGB": 2000}).expectOK()
		r.api("POST", "clients/del/mine@x", nil).expectOK()
	})
}

// On a worker the v3 clients routes read the shared clients (a Unicode
// email added on the master included) and refuse every write, changing
// nothing (MariaDB: the only shared database).
func TestV3ClientsOnWorker(t *testing.T) {
	t.Parallel() // own database and apps
	master, worker := masterAndWorker(t)
	owner := master.loggedIn()
	id := owner.api("POST", "inbounds/add", vlessInbound(hostPort(31065), vlessClient("seed@x"))).expectOK().obj()["id"].(float64)
	const email = "ирина@example"
	owner.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": email}, "inboundIds": []float64{id}}).expectOK()

	w := worker.loggedIn()
	if got := asMap(t, w.api("GET", "clients/get/"+url.PathEscape(email), nil).expectOK().obj()["client"]); got["email"] != email {
		t.Fatalf("worker get = %v", got)
	}
	before := worker.dbState(t)
	w.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": "w@x"}, "inboundIds": []float64{id}}).expectFail(http.StatusForbidden, "master")
	w.api("POST", "clients/update/"+url.PathEscape(email), map[string]any{"email": email, "comment": "w"}).expectFail(http.StatusForbidden, "master")
	w.api("POST", "clients/del/"+url.PathEscape(email), nil).expectFail(http.StatusForbidden, "master")
	w.api("POST", "clients/bulkDisable", map[string]any{"emails": []string{email}}).expectFail(http.StatusForbidden, "master")
	w.api("POST", "clients/updateTraffic/"+url.PathEscape(email), map[string]any{"upload": 1}).expectFail(http.StatusForbidden, "master")
	if worker.dbState(t) != before {
		t.Fatal("a refused write on the worker changed the database")
	}
}
