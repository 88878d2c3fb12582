package app

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// v3Inbound is vlessInbound as 3x-ui v3 sends it: settings, streamSettings
// and sniffing as JSON objects.
func v3Inbound(port int, clients ...map[string]any) map[string]any {
	m := vlessInbound(port, clients...)
	m["settings"] = map[string]any{"clients": clients, "decryption": "none"}
	m["streamSettings"] = map[string]any{"network": "tcp", "security": "none"}
	m["sniffing"] = map[string]any{"enabled": false}
	// v3's own keys, which this panel does not store: ignored.
	m["subSortIndex"], m["shareAddrStrategy"] = 1, "node"
	return m
}

func keysOf(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}

func (e *testEnv) sharedVersion(t *testing.T) int64 {
	t.Helper()
	v, err := database.GetSharedAccountsVersion(e.db.Current())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Issue 24 item 3, inbounds: v3's nested-object inbound JSON on add and
// update beside v2's strings, and the routes list/slim, options,
// setEnable/:id, :id/resetTraffic, :id/delAllClients, bulkDel and import
// with v3.6's shapes; each write audited once and one version bump.
func TestV3InboundRoutes(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		log := &auditTail{env: env}
		api := func(p string) string { return "POST " + testBase + "panel/api/" + p }

		// Objects and strings are the same inbound once stored; the answer
		// keeps v2's string shape on v2's route.
		o1, o2 := vlessClient("o1@x"), vlessClient("o2@x")
		o2["comment"] = "vip"
		add := c.api("POST", "inbounds/add", v3Inbound(hostPort(34001), o1, o2)).expectOK()
		id := itoa(int(add.obj()["id"].(float64)))
		if _, isString := add.obj()["settings"].(string); !isString {
			t.Fatalf("inbounds/add must answer v2's string settings: %s", add.Raw)
		}
		s1 := vlessClient("s1@x")
		byString := c.api("POST", "inbounds/add", vlessInbound(hostPort(34002), s1)).expectOK().obj()
		sid := itoa(int(byString["id"].(float64)))
		stored := func(id string) map[string]any {
			return c.api("GET", "inbounds/get/"+id, nil).expectOK().obj()
		}
		if got := stored(id); got["streamSettings"] != byString["streamSettings"] || got["sniffing"] != byString["sniffing"] ||
			!strings.Contains(got["settings"].(string), `"decryption":"none"`) {
			t.Fatalf("object-form inbound stored differently from the string form:\n%v\n%v", got, byString)
		}
		log.expect(t, "add by objects and by strings",
			auditWant{"inbound.add", "inbound", id, "user", api("inbounds/add"), []string{`"field":"clients.o1@x"`}},
			auditWant{"inbound.add", "inbound", sid, "user", api("inbounds/add"), nil})
		upd := v3Inbound(hostPort(34001), o1, o2)
		upd["remark"] = "objects"
		if r := c.api("POST", "inbounds/update/"+id, upd).expectOK(); r.obj()["remark"] != "objects" {
			t.Fatalf("update by objects: %s", r.Raw)
		}
		log.expect(t, "update by objects", auditWant{"inbound.update", "inbound", id, "user", "", []string{`"after":"objects"`}})

		// list/slim: v3's keys, JSON objects, clients cut to the list's fields.
		slim := c.api("GET", "inbounds/list/slim", nil).expectOK()
		list := slim.Msg.Obj.([]any)
		if len(list) != 2 {
			t.Fatalf("list/slim: %s", slim.Raw)
		}
		first := list[0].(map[string]any)
		const v3Keys = "clientStats down enable expiryTime id lastTrafficResetTime listen port protocol remark " +
			"settings shareAddr shareAddrStrategy sniffing streamSettings subSortIndex tag total trafficReset trafficResetDay up"
		if keysOf(first) != v3Keys {
			t.Fatalf("list/slim inbound keys\n got %s\nwant %s", keysOf(first), v3Keys)
		}
		settings := first["settings"].(map[string]any)
		clients := settings["clients"].([]any)
		if len(clients) != 2 || keysOf(clients[0].(map[string]any)) != "email enable" ||
			keysOf(clients[1].(map[string]any)) != "comment email enable" || settings["decryption"] != "none" {
			t.Fatalf("slim settings: %v", settings)
		}
		if st := first["streamSettings"].(map[string]any); st["network"] != "tcp" {
			t.Fatalf("streamSettings not an object: %v", first["streamSettings"])
		}
		stat := first["clientStats"].([]any)[0].(map[string]any)
		if keysOf(stat) != "down email enable expiryTime id inboundId lastOnline reset subId total up uuid" {
			t.Fatalf("clientStats keys: %s", keysOf(stat))
		}
		if first["subSortIndex"] != float64(1) || first["trafficResetDay"] != float64(1) || first["shareAddrStrategy"] != "node" {
			t.Fatalf("v3 sharing keys: %v", first)
		}

		// options.
		ss := map[string]any{"remark": "ss", "enable": true, "listen": "127.0.0.1", "port": hostPort(34003), "protocol": "shadowsocks",
			"settings": map[string]any{"method": "2022-blake3-aes-128-gcm", "password": xraytest.NewKey(16), "network": "tcp,udp",
				"clients": []any{map[string]any{"password": xraytest.NewKey(16), "email": "ss@x"}}}}
		ssID := itoa(int(c.api("POST", "inbounds/add", ss).expectOK().obj()["id"].(float64)))
		log.expect(t, "add ss", auditWant{"inbound.add", "inbound", ssID, "user", "", nil})
		opts := c.api("GET", "inbounds/options", nil).expectOK().Msg.Obj.([]any)
		if len(opts) != 3 {
			t.Fatalf("options: %v", opts)
		}
		o := opts[0].(map[string]any)
		if keysOf(o) != "enable id listen port protocol remark ssMethod tag tlsFlowCapable" ||
			o["protocol"] != "vless" || o["tlsFlowCapable"] != false || o["ssMethod"] != "" {
			t.Fatalf("vless option: %v", o)
		}
		if so := opts[2].(map[string]any); so["ssMethod"] != "2022-blake3-aes-128-gcm" || so["id"] != float64(atoi(ssID)) {
			t.Fatalf("shadowsocks option: %v", so)
		}

		// setEnable: bad input changes nothing; a switch is one audited
		// write and one version; the same state again writes nothing.
		before := env.dbState(t)
		c.api("POST", "inbounds/setEnable/"+id, map[string]any{}).expectFail(http.StatusBadRequest, "enable")
		c.api("POST", "inbounds/setEnable/"+id, map[string]any{"enable": "yes"}).expectFail(http.StatusBadRequest, "enable")
		c.api("POST", "inbounds/setEnable/x", map[string]any{"enable": false}).expectFail(http.StatusBadRequest, "id")
		c.api("POST", "inbounds/setEnable/9999", map[string]any{"enable": false}).expectFail(http.StatusNotFound, "id")
		if env.dbState(t) != before {
			t.Fatal("a refused setEnable changed the database")
		}
		log.expect(t, "refused setEnable")
		v := env.sharedVersion(t)
		if r := c.api("POST", "inbounds/setEnable/"+id, map[string]any{"enable": false}).expectOK(); r.Msg.Obj != nil {
			t.Fatalf("setEnable obj: %s", r.Raw)
		}
		if stored(id)["enable"] != false || env.sharedVersion(t) != v+1 {
			t.Fatalf("setEnable false: enable %v, version %d -> %d", stored(id)["enable"], v, env.sharedVersion(t))
		}
		log.expect(t, "disable", auditWant{"inbound.setEnable", "inbound", id, "user", api("inbounds/setEnable/:id"),
			[]string{`{"field":"enable","before":true,"after":false}`}})
		c.api("POST", "inbounds/setEnable/"+id, url.Values{"enable": {"false"}}).expectOK()
		if env.sharedVersion(t) != v+1 {
			t.Fatal("switching to the state it has wrote")
		}
		log.expect(t, "disable again")
		c.api("POST", "inbounds/setEnable/"+id, url.Values{"enable": {"true"}}).expectOK()
		log.expect(t, "enable", auditWant{"inbound.setEnable", "inbound", id, "user", "", []string{`"after":true`}})

		// :id/resetTraffic zeroes the inbound's counters, not its clients'.
		conn := env.db.Current()
		conn.Exec("UPDATE inbounds SET up = 7, down = 9 WHERE id = ?", atoi(id))
		conn.Model(&xray.ClientTraffic{}).Where("email = ?", "o1@x").Updates(map[string]any{"up": 5, "down": 6})
		c.api("POST", "inbounds/"+id+"/resetTraffic", nil).expectOK()
		if got := stored(id); got["up"] != float64(0) || got["down"] != float64(0) {
			t.Fatalf("resetTraffic: %v", got)
		}
		if tr := c.api("GET", "inbounds/getClientTraffics/o1@x", nil).expectOK().obj(); tr["up"] != float64(5) {
			t.Fatalf("resetTraffic touched a client's counters: %v", tr)
		}
		log.expect(t, "reset inbound", auditWant{"inbound.resetTraffic", "inbound", id, "user", api("inbounds/:id/resetTraffic"), nil})
		c.api("POST", "inbounds/9999/resetTraffic", nil).expectFail(http.StatusNotFound, "id")

		// :id/delAllClients.
		c.api("POST", "inbounds/9999/delAllClients", nil).expectFail(http.StatusNotFound, "id")
		del := c.api("POST", "inbounds/"+id+"/delAllClients", nil).expectOK()
		if string(mustJSON(del.Msg.Obj)) != `{"deleted":2}` {
			t.Fatalf("delAllClients obj: %s", del.Raw)
		}
		if got := stored(id); !strings.Contains(got["settings"].(string), `"clients":[]`) || len(got["clientStats"].([]any)) != 0 {
			t.Fatalf("clients left after delAllClients: %v", got)
		}
		c.api("GET", "inbounds/getClientTraffics/o2@x", nil).expectFail(http.StatusNotFound, "o2@x")
		log.expect(t, "del all clients", auditWant{"client.deleteAll", "inbound", id, "user", api("inbounds/:id/delAllClients"),
			[]string{`{"field":"clients.o1@x","after":"deleted"}`, `"field":"clients.o2@x"`}})
		v = env.sharedVersion(t)
		if r := c.api("POST", "inbounds/"+id+"/delAllClients", nil).expectOK(); mustJSON(r.Msg.Obj) != `{"deleted":0}` || env.sharedVersion(t) != v {
			t.Fatalf("delAllClients of an empty inbound: %s (version %d -> %d)", r.Raw, v, env.sharedVersion(t))
		}
		log.expect(t, "del all of none")

		// import: v3's export (objects) in form field data; v3's answer.
		exp := v3Inbound(hostPort(34004), vlessClient("imp@x"))
		exp["id"], exp["up"] = 77, 1234
		imp := c.api("POST", "inbounds/import", url.Values{"data": {mustJSON(exp)}}).expectOK().obj()
		impID := itoa(int(imp["id"].(float64)))
		if imp["id"] == float64(77) || imp["up"] != float64(1234) || keysOf(imp) != v3Keys {
			t.Fatalf("import answer: %v", imp)
		}
		if st := imp["clientStats"].([]any); len(st) != 1 || st[0].(map[string]any)["uuid"] == "" {
			t.Fatalf("import clientStats: %v", st)
		}
		log.expect(t, "import", auditWant{"inbound.add", "inbound", impID, "user", api("inbounds/import"), nil})
		c.api("POST", "inbounds/import", map[string]any{"data": exp}).expectFail(http.StatusConflict, "port")

		// bulkDel: all or nothing.
		before = env.dbState(t)
		c.api("POST", "inbounds/bulkDel", map[string]any{"ids": []int{}}).expectFail(http.StatusBadRequest, "ids")
		c.api("POST", "inbounds/bulkDel", map[string]any{"ids": "1"}).expectFail(http.StatusBadRequest, "ids")
		c.api("POST", "inbounds/bulkDel", map[string]any{"ids": []int{atoi(sid), 0}}).expectFail(http.StatusBadRequest, "ids")
		c.api("POST", "inbounds/bulkDel", map[string]any{"ids": []int{atoi(sid), 9999}}).expectFail(http.StatusNotFound, "ids")
		if env.dbState(t) != before {
			t.Fatal("a refused bulkDel changed the database")
		}
		log.expect(t, "refused bulkDel")
		v = env.sharedVersion(t)
		bd := c.api("POST", "inbounds/bulkDel", map[string]any{"ids": []int{atoi(sid), atoi(impID), atoi(sid)}}).expectOK()
		if mustJSON(bd.Msg.Obj) != `{"deleted":2}` || env.sharedVersion(t) != v+1 {
			t.Fatalf("bulkDel: %s (version %d -> %d)", bd.Raw, v, env.sharedVersion(t))
		}
		log.expect(t, "bulkDel", auditWant{"inbound.bulkDelete", "inbound", sid + "," + impID, "user", api("inbounds/bulkDel"),
			[]string{`"field":"inbounds.` + sid + `.clients.s1@x"`}})
		c.api("GET", "inbounds/get/"+sid, nil).expectFail(http.StatusNotFound, "id")
		var rows int64
		conn.Model(&xray.ClientTraffic{}).Where("email IN ?", []string{"s1@x", "imp@x"}).Count(&rows)
		if rows != 0 {
			t.Fatalf("%d client rows left by bulkDel", rows)
		}
	})
}

// Bad nested JSON is refused naming the field, by the same validator as
// the string form, and changes nothing.
func TestV3InboundObjectsBadInput(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		add := c.api("POST", "inbounds/add", v3Inbound(hostPort(35001), vlessClient("taken@x"))).expectOK()
		id := itoa(int(add.obj()["id"].(float64)))
		with := func(mut func(m map[string]any)) map[string]any {
			m := v3Inbound(hostPort(35002), vlessClient("fresh@x"))
			mut(m)
			return m
		}
		noEmail := vlessClient("")
		cases := []struct {
			name, path string
			body       any
			code       int
			field      string
		}{
			{"settings a number", "inbounds/add", with(func(m map[string]any) { m["settings"] = 5 }), 400, "settings"},
			{"settings an array", "inbounds/add", with(func(m map[string]any) { m["settings"] = []any{} }), 400, "settings"},
			{"streamSettings an array", "inbounds/add", with(func(m map[string]any) { m["streamSettings"] = []any{1} }), 400, "streamSettings"},
			{"sniffing a boolean", "inbounds/add", with(func(m map[string]any) { m["sniffing"] = true }), 400, "sniffing"},
			{"object client without email", "inbounds/add", v3Inbound(hostPort(35002), noEmail), 400, "email"},
			{"object duplicate email", "inbounds/add", v3Inbound(hostPort(35002), vlessClient("taken@x")), 409, "email"},
			{"object bad network", "inbounds/add", with(func(m map[string]any) { m["streamSettings"] = map[string]any{"network": "evil"} }), 400, "streamSettings.network"},
			{"object clients not a list", "inbounds/update/" + id, with(func(m map[string]any) { m["settings"] = map[string]any{"clients": 1} }), 400, "settings"},
			{"wrong type beside objects", "inbounds/add", with(func(m map[string]any) { m["port"] = "high" }), 400, "port"},
			{"import without data", "inbounds/import", url.Values{}, 400, "data"},
			{"import malformed data", "inbounds/import", url.Values{"data": {"{nope"}}, 400, "malformed JSON"},
			{"import bad settings", "inbounds/import", url.Values{"data": {mustJSON(with(func(m map[string]any) { m["settings"] = 5 }))}}, 400, "data.settings"},
		}
		for _, tc := range cases {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				env.t = t
				before := env.dbState(t)
				c.api("POST", tc.path, tc.body).expectFail(tc.code, tc.field)
				if env.dbState(t) != before {
					t.Fatalf("%s changed the database", tc.name)
				}
			})
		}
	})
}

// The v3 inbound routes take their permissions from the one table: a
// viewer reads them and writes none; an inbound-scoped token acts on its
// own inbound only and cannot bulk-delete (the ids are in the body).
func TestV3InboundRoutesPermissions(t *testing.T) {
	t.Parallel() // own database and App
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		owner := env.loggedIn()
		in1 := itoa(int(owner.api("POST", "inbounds/add", v3Inbound(hostPort(37001), vlessClient("one@x"))).expectOK().obj()["id"].(float64)))
		in2 := itoa(int(owner.api("POST", "inbounds/add", v3Inbound(hostPort(37002), vlessClient("two@x"))).expectOK().obj()["id"].(float64)))
		bot := func(token string) *client {
			c := env.client()
			c.bearer = token
			return c
		}
		viewer := bot(createToken(owner, "viewer", map[string]any{"role": "viewer"}))
		viewer.api("GET", "inbounds/list/slim", nil).expectOK()
		viewer.api("GET", "inbounds/options", nil).expectOK()
		// API tokens record their last use: compare the inbounds.
		state := func() string { return string(owner.api("GET", "inbounds/list", nil).expectOK().Raw) }
		before := state()
		for _, p := range []string{"setEnable/" + in1, in1 + "/resetTraffic", in1 + "/delAllClients", "bulkDel", "import"} {
			viewer.api("POST", "inbounds/"+p, map[string]any{"enable": false, "ids": []any{1}}).expectFail(http.StatusForbidden, "permission inbounds.write")
		}
		scoped := bot(createToken(owner, "scoped", map[string]any{"role": "operator", "scopeKind": "inbound", "scopeId": atoi(in1)}))
		if got := scoped.api("GET", "inbounds/options", nil).expectOK().Msg.Obj.([]any); len(got) != 1 || got[0].(map[string]any)["id"] != float64(atoi(in1)) {
			t.Fatalf("scoped token's options: %v", got)
		}
		if got := scoped.api("GET", "inbounds/list/slim", nil).expectOK().Msg.Obj.([]any); len(got) != 1 {
			t.Fatalf("scoped token's list/slim: %v", got)
		}
		scoped.api("POST", "inbounds/setEnable/"+in2, map[string]any{"enable": false}).expectFail(http.StatusForbidden, "scope")
		scoped.api("POST", "inbounds/"+in2+"/delAllClients", nil).expectFail(http.StatusForbidden, "scope")
		scoped.api("POST", "inbounds/"+in2+"/resetTraffic", nil).expectFail(http.StatusForbidden, "scope")
		scoped.api("POST", "inbounds/bulkDel", map[string]any{"ids": []any{atoi(in1)}}).expectFail(http.StatusForbidden, "scope")
		if state() != before {
			t.Fatal("a refused write changed the inbounds")
		}
		scoped.api("POST", "inbounds/setEnable/"+in1, map[string]any{"enable": false}).expectOK()
		scoped.api("POST", "inbounds/"+in1+"/delAllClients", nil).expectOK()
	})
}
