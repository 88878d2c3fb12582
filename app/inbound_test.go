package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

func TestInboundRoutes(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		a1, a2 := vlessClient("a1@x"), vlessClient("a2@x")
		add := c.api("POST", "inbounds/add", vlessInbound(hostPort(32001), a1, a2)).expectOK()
		id := int(add.obj()["id"].(float64))
		sid := itoa(id)
		if add.obj()["tag"] != "inbound-127.0.0.1:"+itoa(hostPort(32001)) {
			t.Fatalf("tag: %v", add.obj()["tag"])
		}

		list := c.api("GET", "inbounds/list", nil).expectOK()
		inbounds := list.Msg.Obj.([]any)
		if len(inbounds) != 1 || len(inbounds[0].(map[string]any)["clientStats"].([]any)) != 2 {
			t.Fatalf("list: %s", list.Raw)
		}
		if got := c.api("GET", "inbounds/get/"+sid, nil).expectOK(); got.obj()["port"] != float64(hostPort(32001)) {
			t.Fatalf("get: %s", got.Raw)
		}

		upd := vlessInbound(hostPort(32001), a1, a2)
		upd["remark"] = "renamed"
		if r := c.api("POST", "inbounds/update/"+sid, upd).expectOK(); r.obj()["remark"] != "renamed" {
			t.Fatalf("update: %s", r.Raw)
		}

		// addClient in both encodings 3x-ui clients use.
		a3 := vlessClient("a3@x")
		c.api("POST", "inbounds/addClient", map[string]any{
			"id": id, "settings": mustJSON(map[string]any{"clients": []any{a3}}),
		}).expectOK()
		a4 := vlessClient("a4@x")
		c.api("POST", "inbounds/addClient", url.Values{
			"id": {sid}, "settings": {mustJSON(map[string]any{"clients": []any{a4}})},
		}).expectOK()

		a3["totalGB"] = 1 << 30
		c.api("POST", "inbounds/updateClient/"+a3["id"].(string), map[string]any{
			"id": id, "settings": mustJSON(map[string]any{"clients": []any{a3}}),
		}).expectOK()
		tr := c.api("GET", "inbounds/getClientTraffics/a3@x", nil).expectOK()
		if tr.obj()["total"] != float64(1<<30) {
			t.Fatalf("client traffic after update: %s", tr.Raw)
		}

		page := c.api("GET", "inbounds/"+sid+"/clients?page=2&size=3", nil).expectOK()
		if page.obj()["total"] != float64(4) || len(page.obj()["clients"].([]any)) != 1 {
			t.Fatalf("page 2 of 4 clients by 3: %s", page.Raw)
		}
		search := c.api("GET", "inbounds/"+sid+"/clients?q=a2", nil).expectOK()
		if search.obj()["total"] != float64(1) {
			t.Fatalf("search: %s", search.Raw)
		}

		// Give a client some traffic, then reset it three ways.
		conn := env.db.Current()
		setTraffic := func(email string, up, down int64) {
			t.Helper()
			if err := conn.Model(&xray.ClientTraffic{}).Where("email = ?", email).
				Updates(map[string]any{"up": up, "down": down}).Error; err != nil {
				t.Fatal(err)
			}
		}
		clientUp := func(email string) int64 {
			var ct xray.ClientTraffic
			conn.Where("email = ?", email).First(&ct)
			return ct.Up + ct.Down
		}
		setTraffic("a1@x", 100, 200)
		c.api("POST", "inbounds/"+sid+"/resetClientTraffic/a1@x", nil).expectOK()
		if clientUp("a1@x") != 0 {
			t.Fatal("resetClientTraffic left traffic")
		}
		setTraffic("a2@x", 5, 5)
		c.api("POST", "inbounds/resetAllClientTraffics/"+sid, nil).expectOK()
		if clientUp("a2@x") != 0 {
			t.Fatal("resetAllClientTraffics left traffic")
		}
		conn.Exec("UPDATE inbounds SET up = 7, down = 9")
		c.api("POST", "inbounds/resetAllTraffics", nil).expectOK()
		if r := c.api("GET", "inbounds/get/"+sid, nil).expectOK(); r.obj()["up"] != float64(0) {
			t.Fatalf("resetAllTraffics: %s", r.Raw)
		}

		// a3 has a 1 GiB quota: use it up, then delete depleted clients.
		setTraffic("a3@x", 1<<29, 1<<29)
		conn.Model(&xray.ClientTraffic{}).Where("email = ?", "a3@x").Update("enable", false)
		c.api("POST", "inbounds/delDepletedClients/"+sid, nil).expectOK()
		c.api("GET", "inbounds/getClientTraffics/a3@x", nil).expectFail(http.StatusNotFound, "a3@x")

		if r := c.api("POST", "inbounds/onlines", nil).expectOK(); len(r.Msg.Obj.([]any)) != 0 {
			t.Fatalf("onlines with Xray stopped: %s", r.Raw)
		}
		conn.Model(&xray.ClientTraffic{}).Where("email = ?", "a2@x").Update("last_online", 1234)
		if r := c.api("POST", "inbounds/lastOnline", nil).expectOK(); r.obj()["a2@x"] != float64(1234) {
			t.Fatalf("lastOnline: %s", r.Raw)
		}
		conn.Exec("INSERT INTO inbound_client_ips (client_email, ips) VALUES (?, ?)", "a2@x", `[{"ip":"203.0.113.9","firstSeen":1,"lastSeen":2}]`)
		if r := c.api("POST", "inbounds/clientIps/a2@x", nil).expectOK(); !strings.Contains(string(r.Raw), "203.0.113.9") {
			t.Fatalf("clientIps: %s", r.Raw)
		}
		c.api("POST", "inbounds/clearClientIps/a2@x", nil).expectOK()
		if r := c.api("GET", "inbounds/clientIps/a2@x", nil).expectOK(); strings.Contains(string(r.Raw), "203.0.113.9") {
			t.Fatalf("clearClientIps: %s", r.Raw)
		}

		c.api("POST", "inbounds/"+sid+"/delClient/"+a4["id"].(string), nil).expectOK()
		c.api("GET", "inbounds/getClientTraffics/a4@x", nil).expectFail(http.StatusNotFound, "a4@x")
		c.api("POST", "inbounds/del/"+sid, nil).expectOK()
		if r := c.api("GET", "inbounds/list", nil).expectOK(); len(r.Msg.Obj.([]any)) != 0 {
			t.Fatalf("list after delete: %s", r.Raw)
		}
		var rows int64
		conn.Model(&xray.ClientTraffic{}).Count(&rows)
		if rows != 0 {
			t.Fatalf("%d client_traffics rows left after deleting the inbound", rows)
		}
	})
}

func TestInboundBadInput(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		existing := vlessClient("taken@x")
		add := c.api("POST", "inbounds/add", vlessInbound(hostPort(33001), existing)).expectOK()
		sid := itoa(int(add.obj()["id"].(float64)))

		with := func(mut func(m map[string]any)) map[string]any {
			m := vlessInbound(hostPort(33002), vlessClient("fresh@x"))
			mut(m)
			return m
		}
		clientSettings := func(cl ...map[string]any) string {
			return mustJSON(map[string]any{"clients": cl})
		}
		noEmail := vlessClient("")
		negQuota := vlessClient("neg@x")
		negQuota["totalGB"] = -5
		cases := []struct {
			name, method, path string
			body               any
			code               int
			field              string
		}{
			{"malformed JSON", "POST", "inbounds/add", `{"port": 33002,`, 400, "malformed JSON"},
			{"empty body", "POST", "inbounds/add", ``, 400, "body"},
			{"wrong type", "POST", "inbounds/add", `{"port": "high", "protocol": "vless"}`, 400, "port"},
			{"form wrong type", "POST", "inbounds/add", url.Values{"port": {"high"}}, 400, "port"},
			{"unknown protocol", "POST", "inbounds/add", with(func(m map[string]any) { m["protocol"] = "wireguard" }), 400, "protocol"},
			{"missing port", "POST", "inbounds/add", with(func(m map[string]any) { delete(m, "port") }), 400, "port"},
			{"missing email", "POST", "inbounds/add", vlessInbound(hostPort(33002), noEmail), 400, "email"},
			{"port clash", "POST", "inbounds/add", with(func(m map[string]any) { m["port"] = hostPort(33001) }), 409, "port"},
			{"duplicate email", "POST", "inbounds/add", vlessInbound(hostPort(33002), vlessClient("taken@x")), 409, "email"},
			{"negative total", "POST", "inbounds/add", with(func(m map[string]any) { m["total"] = -1 }), 400, "total"},
			{"negative client quota", "POST", "inbounds/add", vlessInbound(hostPort(33002), negQuota), 400, "totalGB"},
			{"bad settings JSON", "POST", "inbounds/add", with(func(m map[string]any) { m["settings"] = "{nope" }), 400, "settings"},
			{"update unknown id", "POST", "inbounds/update/9999", vlessInbound(hostPort(33002)), 404, "id"},
			{"update bad id", "POST", "inbounds/update/x", vlessInbound(hostPort(33002)), 400, "id"},
			{"update negative total", "POST", "inbounds/update/" + sid, func() map[string]any {
				m := vlessInbound(hostPort(33001), existing)
				m["total"] = -10
				return m
			}(), 400, "total"},
			{"get bad id", "GET", "inbounds/get/abc", nil, 400, "id"},
			{"get unknown id", "GET", "inbounds/get/9999", nil, 404, "id"},
			{"del unknown id", "POST", "inbounds/del/9999", nil, 404, "id"},
			{"addClient missing id", "POST", "inbounds/addClient", map[string]any{"settings": clientSettings(vlessClient("n@x"))}, 400, "id"},
			{"addClient unknown inbound", "POST", "inbounds/addClient", map[string]any{"id": 9999, "settings": clientSettings(vlessClient("n@x"))}, 404, "id"},
			{"addClient duplicate email", "POST", "inbounds/addClient", map[string]any{"id": atoi(sid), "settings": clientSettings(vlessClient("taken@x"))}, 409, "email"},
			{"addClient negative quota", "POST", "inbounds/addClient", map[string]any{"id": atoi(sid), "settings": clientSettings(negQuota)}, 400, "totalGB"},
			{"addClient no email", "POST", "inbounds/addClient", map[string]any{"id": atoi(sid), "settings": clientSettings(noEmail)}, 400, "email"},
			{"addClient malformed", "POST", "inbounds/addClient", `{"id":` + sid + `,"settings":`, 400, "malformed JSON"},
			{"updateClient unknown client", "POST", "inbounds/updateClient/" + newTestUUID(), map[string]any{"id": atoi(sid), "settings": clientSettings(vlessClient("n@x"))}, 404, "client"},
			{"delClient unknown client", "POST", "inbounds/" + sid + "/delClient/" + newTestUUID(), nil, 404, "client"},
			{"resetClientTraffic unknown email", "POST", "inbounds/" + sid + "/resetClientTraffic/nobody@x", nil, 404, "email"},
			{"resetAllClientTraffics bad id", "POST", "inbounds/resetAllClientTraffics/zero", nil, 400, "id"},
			{"delDepletedClients bad id", "POST", "inbounds/delDepletedClients/0", nil, 400, "id"},
			{"client traffic unknown", "GET", "inbounds/getClientTraffics/nobody@x", nil, 404, "nobody@x"},
			{"page size zero", "GET", "inbounds/" + sid + "/clients?size=0", nil, 400, "size"},
			{"page not a number", "GET", "inbounds/" + sid + "/clients?page=two", nil, 400, "page"},
			{"page unknown inbound", "GET", "inbounds/9999/clients", nil, 404, "id"},
		}
		for _, tc := range cases {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				c.env.t = t
				before := env.dbState(t)
				c.api(tc.method, tc.path, tc.body).expectFail(tc.code, tc.field)
				if after := env.dbState(t); after != before {
					t.Fatalf("database changed:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
		// Issue 10 finding 6: (page-1)*size overflowed and answered an empty 500.
		c.env.t = t
		for _, page := range []string{"9223372036854775807", "9223372036854775", "2"} {
			r := c.api("GET", "inbounds/"+sid+"/clients?size=1000&page="+page, nil).expectOK()
			if obj := r.obj(); len(obj["clients"].([]any)) != 0 || obj["total"] != float64(1) {
				t.Fatalf("page %s past the end: %s", page, r.Raw)
			}
		}
	})
}
