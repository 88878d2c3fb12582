package app

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// auditTail reads the audit rows written since the last call.
type auditTail struct {
	env  *testEnv
	last int64
}

// auditWant is what one write's row must say; empty fields are not checked.
type auditWant struct {
	action, targetKind, targetID, actorKind, route string
	changes                                        []string // substrings of the changes JSON
}

// auditBy is who a row must name: the username and the effective role
// (a token's own role, not its user's).
type auditBy struct{ name, role string }

// byOwner is the seeded admin acting as owner.
func byOwner() auditBy { return auditBy{"admin", "owner"} }

// expect asserts that exactly the rows want (in order) were written since
// the last call, by the owner: each write of the panel is recorded once.
func (a *auditTail) expect(t *testing.T, step string, want ...auditWant) []model.AuditLog {
	t.Helper()
	return a.expectBy(t, step, byOwner(), want...)
}

// expectBy is expect for rows written by another admin or role.
func (a *auditTail) expectBy(t *testing.T, step string, by auditBy, want ...auditWant) []model.AuditLog {
	t.Helper()
	var rows []model.AuditLog
	if err := a.env.db.Current().Where("id > ?", a.last).Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want) {
		t.Fatalf("%s: %d audit rows, want %d: %+v", step, len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		bad := r.Action != w.action || r.TargetKind != w.targetKind ||
			(w.targetID != "" && r.TargetID != w.targetID) ||
			(w.actorKind != "" && r.ActorKind != w.actorKind) ||
			(w.route != "" && r.Route != w.route) ||
			r.ActorName != by.name && r.ActorKind != "system" || r.Role != by.role || r.SourceIP != "192.0.2.1"
		for _, c := range w.changes {
			bad = bad || !strings.Contains(r.Changes, c)
		}
		if bad {
			t.Fatalf("%s: audit row %+v, want %+v", step, r, w)
		}
	}
	if len(rows) > 0 {
		a.last = rows[len(rows)-1].Id
	}
	return rows
}

// Every kind of write the panel has, made through the HTTP API, is in
// the audit log exactly once with its actor, route, target and the
// fields it changed; no secret reaches the log; a refused write leaves
// no row; the log pages and filters through GET panel/api/audit.
func TestEveryWriteIsAuditedOnce(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		log := &auditTail{env: env}
		api := func(p string) string { return "POST " + testBase + "panel/api/" + p }
		var secrets []string

		// Inbounds and their clients.
		a := vlessClient("a@x")
		secrets = append(secrets, a["id"].(string))
		in := c.api("POST", "inbounds/add", vlessInbound(freePort(t), a)).expectOK().obj()
		id := itoa(int(in["id"].(float64)))
		log.expect(t, "add inbound", auditWant{"inbound.add", "inbound", id, "user", api("inbounds/add"),
			[]string{`{"field":"clients.a@x","after":{"email":"a@x","enable":true,"id":"***"}}`, `{"field":"port","after":`}})

		c.api("POST", "inbounds/add", map[string]any{"protocol": "vless", "port": 0}).expectFail(http.StatusBadRequest, "port")
		log.expect(t, "refused add")

		bc := vlessClient("b@x")
		secrets = append(secrets, bc["id"].(string))
		upd := vlessInbound(int(in["port"].(float64)), a, bc)
		upd["remark"] = "renamed"
		c.api("POST", "inbounds/update/"+id, upd).expectOK()
		log.expect(t, "update inbound", auditWant{"inbound.update", "inbound", id, "user", api("inbounds/update/:id"),
			[]string{`{"field":"remark","before":"test","after":"renamed"}`, `"field":"clients.b@x","after":{`}})

		cc := vlessClient("c@x")
		cid := cc["id"].(string)
		secrets = append(secrets, cid)
		clientBody := func(cl map[string]any) map[string]any {
			return map[string]any{"id": atoi(id), "settings": mustJSON(map[string]any{"clients": []any{cl}})}
		}
		c.api("POST", "inbounds/addClient", clientBody(cc)).expectOK()
		log.expect(t, "add client", auditWant{"client.add", "client", "c@x", "user", api("inbounds/addClient"),
			[]string{`"field":"clients.c@x"`}})
		cc["totalGB"] = 5 << 30
		c.api("POST", "inbounds/updateClient/"+cid, clientBody(cc)).expectOK()
		log.expect(t, "update client", auditWant{"client.update", "client", "c@x", "user", "",
			[]string{`{"field":"clients.c@x.totalGB","after":5368709120}`}})
		c.api("POST", "inbounds/"+id+"/resetClientTraffic/c@x", nil).expectOK()
		log.expect(t, "reset client", auditWant{"client.resetTraffic", "client", "c@x", "user", "", nil})
		c.api("POST", "inbounds/resetAllClientTraffics/"+id, nil).expectOK()
		log.expect(t, "reset clients", auditWant{"inbound.resetClientTraffics", "inbound", id, "user", "", nil})
		c.api("POST", "inbounds/resetAllTraffics", nil).expectOK()
		log.expect(t, "reset all", auditWant{"inbound.resetAllTraffics", "inbound", "*", "user", "", nil})
		c.api("POST", "inbounds/delDepletedClients/"+id, nil).expectOK()
		log.expect(t, "del depleted", auditWant{"client.deleteDepleted", "inbound", id, "user", "", nil})
		c.api("POST", "inbounds/"+id+"/delClient/"+cid, nil).expectOK()
		log.expect(t, "del client", auditWant{"client.delete", "client", "c@x", "user", "",
			[]string{`"field":"clients.c@x","before":{`}})
		c.api("POST", "clients/bulk", map[string]any{"action": "disable", "emails": []string{"b@x"}}).expectOK()
		log.expect(t, "bulk", auditWant{"client.bulk.disable", "client", "b@x", "user", api("clients/bulk"),
			[]string{`{"field":"enable","after":false}`}})
		c.api("POST", "clients/addMany", map[string]any{"inboundId": atoi(id), "count": 2, "prefix": "many"}).expectOK()
		log.expect(t, "add many", auditWant{"client.add", "client", "", "user", api("clients/addMany"), []string{`"field":"clients.many`}})

		c.api("POST", "inbounds/clearClientIps/b@x", nil).expectOK()
		log.expect(t, "clear ips", auditWant{"client.clearIps", "client", "b@x", "user", api("inbounds/clearClientIps/:email"), nil})

		// v3.6's clients routes (docs/api.md).
		auditV3ClientWrites(t, c, log, id)

		// Settings and the Xray template.
		tgToken := "tgSecretToken" + strings.Repeat("A", 22)
		c.api("POST", "setting/update", map[string]any{"subTitle": "audited", "tgBotToken": "123456:" + tgToken}).expectOK()
		secrets = append(secrets, tgToken)
		log.expect(t, "settings", auditWant{"settings.update", "settings", "", "user", api("setting/update"),
			[]string{`{"field":"subTitle","before":"","after":"audited"}`, `{"field":"tgBotToken","before":"***","after":"***"}`}})
		tpl := c.api("GET", "setting/getXrayTemplate", nil).expectOK().obj()
		tpl["inbounds"].([]any)[0].(map[string]any)["port"] = freePort(t)
		tpl["outbounds"] = append(tpl["outbounds"].([]any), map[string]any{"tag": "audited", "protocol": "freedom"})
		c.api("POST", "setting/updateXrayTemplate", map[string]any{"xraySetting": tpl}).expectOK()
		log.expect(t, "template", auditWant{"xray.template.update", "settings", "", "user", api("setting/updateXrayTemplate"),
			[]string{`"field":"xrayTemplateConfig.outbounds"`}})

		// API tokens, and a write made with one.
		created := c.api("POST", "setting/apiTokens/create", map[string]string{"name": "ci"}).expectOK().obj()
		token := created["token"].(string)
		secrets = append(secrets, token)
		tokID := itoa(int(created["info"].(map[string]any)["id"].(float64)))
		log.expect(t, "token create", auditWant{"token.create", "token", tokID, "user", "", []string{`"after":"ci"`}})
		tc := env.client()
		tc.bearer = token
		tc.api("POST", "inbounds/"+id+"/resetClientTraffic/b@x", nil).expectOK()
		rows := log.expect(t, "token write", auditWant{"client.resetTraffic", "client", "b@x", "token", "", nil})
		if rows[0].TokenID != atoi(tokID) || rows[0].ActorID != "1" {
			t.Fatalf("token write actor: %+v", rows[0])
		}
		c.api("POST", "setting/apiTokens/setEnabled/"+tokID, map[string]bool{"enabled": false}).expectOK()
		log.expect(t, "token off", auditWant{"token.setEnabled", "token", tokID, "user", "",
			[]string{`{"field":"enabled","before":true,"after":false}`}})
		c.api("POST", "setting/apiTokens/delete/"+tokID, nil).expectOK()
		log.expect(t, "token delete", auditWant{"token.delete", "token", tokID, "user", "", nil})

		// Webhooks.
		hook := newHookReceiver(t, "hook-secret-123456")
		secrets = append(secrets, "hook-secret-123456")
		wh := c.api("POST", "notify/webhooks/add", map[string]any{"url": hook.srv.URL, "secret": "hook-secret-123456"}).expectOK().obj()
		whID := itoa(int(wh["id"].(float64)))
		log.expect(t, "webhook add", auditWant{"webhook.add", "webhook", whID, "user", "", []string{`{"field":"secret","after":"***"}`}})
		c.api("POST", "notify/webhooks/update/"+whID, map[string]any{"enabled": false}).expectOK()
		log.expect(t, "webhook update", auditWant{"webhook.update", "webhook", whID, "user", "",
			[]string{`{"field":"enabled","before":true,"after":false}`}})
		c.api("POST", "notify/webhooks/del/"+whID, nil).expectOK()
		log.expect(t, "webhook delete", auditWant{"webhook.delete", "webhook", whID, "user", "", nil})

		// Two-factor: the setup is pending in memory only; enable and
		// disable store and clear the secret.
		setup := c.api("POST", "setting/twoFactor/setup", nil).expectOK().obj()
		secret := setup["secret"].(string)
		secrets = append(secrets, secret)
		log.expect(t, "2fa setup")
		c.api("POST", "setting/twoFactor/enable", url.Values{"code": {totpNow(t, secret)}}).expectOK()
		log.expect(t, "2fa enable", auditWant{"user.twoFactor.enable", "user", "1", "user", "",
			[]string{`"after":"***"`}})
		c.api("POST", "setting/twoFactor/disable", map[string]string{"code": totpNow(t, secret)}).expectOK()
		log.expect(t, "2fa disable", auditWant{"user.twoFactor.disable", "user", "1", "user", "", nil})

		// Other administrators, their roles and tokens (docs/roles.md).
		secrets = append(secrets, auditRoleWrites(t, env, c, log, id)...)

		// Xray and panel control, the inbound's delete, a backup import.
		c.api("POST", "server/restartXrayService", nil).expectOK()
		log.expect(t, "xray restart", auditWant{"xray.restart", "xray", "", "user", api("server/restartXrayService"), nil})
		c.api("POST", "server/stopXrayService", nil).expectOK()
		log.expect(t, "xray stop", auditWant{"xray.stop", "xray", "", "user", api("server/stopXrayService"), nil})
		c.api("POST", "setting/restartPanel", nil).expectOK()
		log.expect(t, "panel restart", auditWant{"panel.restart", "panel", "", "user", api("setting/restartPanel"), nil})
		// v3.6's inbound routes (docs/api.md).
		c.api("POST", "inbounds/setEnable/"+id, map[string]any{"enable": false}).expectOK()
		log.expect(t, "set enable", auditWant{"inbound.setEnable", "inbound", id, "user", api("inbounds/setEnable/:id"), nil})
		c.api("POST", "inbounds/"+id+"/resetTraffic", nil).expectOK()
		log.expect(t, "reset inbound traffic", auditWant{"inbound.resetTraffic", "inbound", id, "user", api("inbounds/:id/resetTraffic"), nil})
		c.api("POST", "inbounds/"+id+"/delAllClients", nil).expectOK()
		log.expect(t, "del all clients", auditWant{"client.deleteAll", "inbound", id, "user", api("inbounds/:id/delAllClients"), nil})
		exp := v3Inbound(freePort(t), vlessClient("imp@x"))
		imp := c.api("POST", "inbounds/import", url.Values{"data": {mustJSON(exp)}}).expectOK().obj()
		impID := itoa(int(imp["id"].(float64)))
		log.expect(t, "import inbound", auditWant{"inbound.add", "inbound", impID, "user", api("inbounds/import"), nil})
		c.api("POST", "inbounds/bulkDel", map[string]any{"ids": []int{atoi(impID)}}).expectOK()
		log.expect(t, "bulk delete", auditWant{"inbound.bulkDelete", "inbound", impID, "user", api("inbounds/bulkDel"), nil})
		c.api("POST", "inbounds/del/"+id, nil).expectOK()
		log.expect(t, "del inbound", auditWant{"inbound.delete", "inbound", id, "user", "", []string{`"field":"remark","before":"renamed"`}})
		backup := c.api("GET", "server/getDb", nil).Raw
		up := multipartBody(t, "db", backup)
		c.apiRaw("POST", "server/importDB", up.body, up.ctype).expectOK()
		log.expect(t, "import", auditWant{"backup.import", "database", "", "user", api("server/importDB"), []string{`"field":"inbounds.rows"`}})

		// The admin's credentials, last: the session is reissued.
		c.api("POST", "setting/updateUser", map[string]any{"oldUsername": "admin", "oldPassword": "admin",
			"newUsername": "admin", "newPassword": "audit-new-password"}).expectOK()
		secrets = append(secrets, "audit-new-password")
		log.expect(t, "user", auditWant{"user.update", "user", "1", "user", api("setting/updateUser"),
			[]string{`{"field":"password","before":"***","after":"***"}`}})

		var all []model.AuditLog
		if err := env.db.Current().Find(&all).Error; err != nil {
			t.Fatal(err)
		}
		for _, r := range all {
			raw, _ := json.Marshal(r)
			for _, s := range secrets {
				if strings.Contains(string(raw), s) {
					t.Fatalf("audit row %d carries the secret %q: %s", r.Id, s, raw)
				}
			}
		}
		checkEveryWriteRouteAudited(t, all)
		tokenRows := 0
		for _, r := range all {
			if r.ActorKind == "token" {
				tokenRows++
			}
		}
		checkAuditAPI(t, env, id, len(all), tokenRows)
	})
}

// checkAuditAPI pages and filters the log written by the test above.
func checkAuditAPI(t *testing.T, env *testEnv, inboundID string, total, tokenRows int) {
	c := env.client()
	c.remote = "192.0.2.1:4001"
	r := c.do("POST", "login", map[string]string{"username": "admin", "password": "audit-new-password"})
	if r.Code != 200 {
		t.Fatalf("login: %s", r.Raw)
	}
	c.csrf = r.obj()["csrfToken"].(string)
	page := func(q string) (int, []any) {
		t.Helper()
		o := c.api("GET", "audit?"+q, nil).expectOK().obj()
		return int(o["total"].(float64)), o["items"].([]any)
	}
	if n, items := page("size=5"); n != total || len(items) != 5 {
		t.Fatalf("first page: total %d (want %d), %d items", n, total, len(items))
	}
	n, items := page("actor=token")
	if n != tokenRows || tokenRows < 3 {
		t.Fatalf("actor=token: %d rows, want %d", n, tokenRows)
	}
	for _, it := range items {
		if it.(map[string]any)["actorKind"] != "token" {
			t.Fatalf("actor=token: %v", it)
		}
	}
	if n, _ := page("actor=aud-res"); n != 6 {
		t.Fatalf("actor=aud-res: %d rows, want the reseller's 6", n)
	}
	if n, _ := page("action=webhook"); n != 3 {
		t.Fatalf("action=webhook: %d rows, want 3", n)
	}
	// add, update, 3 inbound-wide client writes, v3's setEnable,
	// resetTraffic and delAllClients (the bulk delete targets another).
	if n, _ := page("target=inbound:" + inboundID); n != 8 {
		t.Fatalf("target=inbound:%s: %d rows, want 8", inboundID, n)
	}
	if n, _ := page("q=subTitle"); n != 1 {
		t.Fatalf("q=subTitle: %d rows, want 1", n)
	}
	if n, _ := page("q=100%25_"); n != 0 {
		t.Fatalf("q=100%%_ (LIKE wildcards taken literally): %d rows", n)
	}
	if n, _ := page("from=1&to=2"); n != 0 {
		t.Fatalf("1970 range: %d rows", n)
	}
	c.api("GET", "audit?size=0", nil).expectFail(http.StatusBadRequest, "size")
	c.api("GET", "audit?from=x", nil).expectFail(http.StatusBadRequest, "from")
	c.api("GET", "audit?from=5&to=4", nil).expectFail(http.StatusBadRequest, "to")
}
