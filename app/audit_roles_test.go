package app

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/web/controller"
)

// auditRoleWrites is the part of TestEveryWriteIsAuditedOnce for several
// administrators: the owner's admin management, tokens made with a role
// and a scope, and writes through an operator's, an admin's and a
// reseller's session and tokens, each in the log once with its actor
// kind, username and effective role (a token's own, not its user's);
// every refusal — by the permission table, session-only routes, a
// token's scope or a reseller's allowance — leaves no row. owner is the
// owner's session and inboundID an inbound with clients not a reseller's.
// It answers the secrets it handed out (passwords, tokens) for the
// caller's no-secret-in-the-log check.
func auditRoleWrites(t *testing.T, env *testEnv, owner *client, log *auditTail, inboundID string) []string {
	t.Helper()
	api := func(p string) string { return "POST " + testBase + "panel/api/" + p }
	in := atoi(inboundID)
	var secrets []string
	bearer := func(token string) *client {
		secrets = append(secrets, token)
		c := env.client()
		c.bearer = token
		return c
	}

	// The owner manages administrators.
	added := map[string]string{}
	for _, a := range []struct {
		name  string
		role  auth.Role
		max   int
		bytes int64
	}{{"aud-op", auth.RoleOperator, 0, 0}, {"aud-admin", auth.RoleAdmin, 0, 0},
		{"aud-view", auth.RoleViewer, 0, 0}, {"aud-res", auth.RoleReseller, 1, 3000}} {
		id := itoa(addAdmin(owner, a.name, a.role, a.max, a.bytes))
		added[a.name] = id
		secrets = append(secrets, "password-"+a.name)
		log.expect(t, "admin add "+a.name, auditWant{"admin.add", "user", id, "user", api("admins/add"),
			[]string{`{"field":"username","after":"` + a.name + `"}`, `{"field":"role","after":"` + string(a.role) + `"}`,
				`{"field":"password","after":"***"}`}})
	}
	owner.api("POST", "admins/add", map[string]any{"username": "aud-x", "password": "password-aud-x", "role": "boss"}).
		expectFail(http.StatusBadRequest, "role")
	owner.api("POST", "admins/add", map[string]any{"username": "aud-op", "password": "password-aud-x", "role": "viewer"}).
		expectFail(http.StatusConflict, "username")
	log.expect(t, "refused admin adds")
	owner.api("POST", "admins/update/"+added["aud-res"], map[string]any{"role": "reseller", "maxClients": 2, "maxTrafficBytes": 3000}).expectOK()
	log.expect(t, "admin update", auditWant{"admin.update", "user", added["aud-res"], "user", api("admins/update/:id"),
		[]string{`[{"field":"maxClients","before":1,"after":2}]`}})
	owner.api("POST", "admins/resetPassword/"+added["aud-view"], map[string]any{"password": "password-aud-view-2"}).expectOK()
	secrets = append(secrets, "password-aud-view-2")
	log.expect(t, "admin password", auditWant{"admin.resetPassword", "user", added["aud-view"], "user", api("admins/resetPassword/:id"),
		[]string{`[{"field":"password","before":"***","after":"***"}]`}})

	// Tokens with a role and a scope: their writes carry the token's role.
	ownerTpl := owner.api("GET", "setting/getXrayTemplate", nil).expectOK().obj()
	scoped := owner.api("POST", "setting/apiTokens/create", map[string]any{"name": "aud-scoped", "role": "operator",
		"scopeKind": "inbound", "scopeId": in}).expectOK().obj()
	scopedID := itoa(int(scoped["id"].(float64)))
	log.expect(t, "scoped token create", auditWant{"token.create", "token", scopedID, "user", api("setting/apiTokens/create"),
		[]string{`{"field":"role","after":"operator"}`, `{"field":"scope","after":"inbound:` + inboundID + `"}`}})
	st := bearer(scoped["token"].(string))
	st.api("POST", "inbounds/addClient", clientBody(in, vlessClient("aud-tok@x"))).expectOK()
	rows := log.expectBy(t, "scoped token write", auditBy{"admin", "operator"},
		auditWant{"client.add", "client", "aud-tok@x", "token", api("inbounds/addClient"), nil})
	if rows[0].TokenID != atoi(scopedID) || rows[0].ActorID != "1" {
		t.Fatalf("scoped token write actor: %+v", rows[0])
	}
	st.api("POST", "inbounds/add", vlessInbound(freePort(t))).expectFail(http.StatusForbidden, "scope")
	st.api("POST", "setting/update", map[string]any{"subTitle": "x"}).expectFail(http.StatusForbidden, "permission settings.write")
	st.api("POST", "admins/add", map[string]any{"username": "aud-t", "password": "password-aud-t", "role": "viewer"}).
		expectFail(http.StatusForbidden, "permission admins.manage")
	view := owner.api("POST", "setting/apiTokens", map[string]any{"name": "aud-viewer", "role": "viewer"}).expectOK().obj()
	viewID := itoa(int(view["id"].(float64)))
	log.expect(t, "viewer token create", auditWant{"token.create", "token", viewID, "user", api("setting/apiTokens"),
		[]string{`{"field":"role","after":"viewer"}`}})
	vt := bearer(view["token"].(string))
	vt.api("POST", "inbounds/addClient", clientBody(in, vlessClient("aud-no@x"))).expectFail(http.StatusForbidden, "permission clients.write")
	vt.api("POST", "inbounds/resetAllTraffics", nil).expectFail(http.StatusForbidden, "permission inbounds.write")
	// An owner's full token still may not manage administrators.
	full := bearer(createToken(owner, "aud-full", nil))
	fullID := log.expect(t, "full token create", auditWant{"token.create", "token", "", "user", api("setting/apiTokens/create"),
		[]string{`{"field":"role","after":"owner"}`}})[0].TargetID
	full.api("POST", "admins/del/"+added["aud-op"], nil).expectFail(http.StatusForbidden, "API tokens cannot")
	log.expect(t, "refused token writes")
	owner.api("POST", "setting/apiTokens/revoke/"+viewID, nil).expectOK()
	log.expect(t, "token revoke", auditWant{"token.delete", "token", viewID, "user", api("setting/apiTokens/revoke/:id"), nil})
	owner.api("DELETE", "setting/apiTokens/"+scopedID, nil).expectOK()
	log.expect(t, "token DELETE", auditWant{"token.delete", "token", scopedID, "user",
		"DELETE " + testBase + "panel/api/setting/apiTokens/:id", []string{`{"field":"name","before":"aud-scoped"}`}})
	owner.api("POST", "setting/apiTokens/delete/"+fullID, nil).expectOK()
	log.expect(t, "token delete", auditWant{"token.delete", "token", fullID, "user", api("setting/apiTokens/delete/:id"), nil})

	// The operator writes clients, not settings or Xray.
	op := env.loginAs("aud-op", "password-aud-op")
	op.api("POST", "inbounds/addClient", clientBody(in, vlessClient("aud-op@x"))).expectOK()
	log.expectBy(t, "operator write", auditBy{"aud-op", "operator"},
		auditWant{"client.add", "client", "aud-op@x", "user", api("inbounds/addClient"), nil})
	op.api("POST", "setting/update", map[string]any{"subTitle": "op"}).expectFail(http.StatusForbidden, "permission settings.write")
	op.api("POST", "server/restartXrayService", nil).expectFail(http.StatusForbidden, "permission xray.restart")
	op.api("POST", "setting/updateXrayTemplate", map[string]any{"xraySetting": ownerTpl}).expectFail(http.StatusForbidden, "permission xray.config.write")
	op.api("POST", "notify/webhooks/add", map[string]any{"url": "http://127.0.0.1:9/"}).expectFail(http.StatusForbidden, "permission notify.write")
	log.expect(t, "refused operator writes")

	// The admin changes the Xray template (v3's xray/update), not settings
	// or administrators; the owner uses v2's panel/xray/update.
	adm := env.loginAs("aud-admin", "password-aud-admin")
	tpl := adm.api("GET", "setting/getXrayTemplate", nil).expectOK().obj()
	tpl["outbounds"] = append(tpl["outbounds"].([]any), map[string]any{"tag": "aud-admin", "protocol": "freedom"})
	adm.api("POST", "xray/update", map[string]any{"xraySetting": tpl}).expectOK()
	log.expectBy(t, "admin template", auditBy{"aud-admin", "admin"},
		auditWant{"xray.template.update", "settings", "", "user", api("xray/update"), []string{`"field":"xrayTemplateConfig.outbounds"`}})
	tpl["outbounds"] = append(tpl["outbounds"].([]any), map[string]any{"tag": "aud-owner", "protocol": "freedom"})
	owner.do("POST", "panel/xray/update", map[string]any{"xraySetting": tpl}).expectOK()
	log.expect(t, "v2 template", auditWant{"xray.template.update", "settings", "", "user", "POST " + testBase + "panel/xray/update", nil})
	adm.api("POST", "setting/update", map[string]any{"subTitle": "adm"}).expectFail(http.StatusForbidden, "permission settings.write")
	adm.api("POST", "admins/add", map[string]any{"username": "aud-y", "password": "password-aud-y", "role": "viewer"}).
		expectFail(http.StatusForbidden, "permission admins.manage")
	adm.api("POST", "setting/restartPanel", nil).expectFail(http.StatusForbidden, "permission settings.write")
	log.expect(t, "refused admin writes")

	// The viewer writes nothing and is refused every write.
	viewer := env.loginAs("aud-view", "password-aud-view-2")
	viewer.api("POST", "inbounds/add", vlessInbound(freePort(t))).expectFail(http.StatusForbidden, "permission inbounds.write")
	viewer.api("POST", "clients/bulk", map[string]any{"action": "disable", "emails": []string{"a@x"}}).expectFail(http.StatusForbidden, "permission clients.write")
	viewer.api("POST", "notify/telegram/test", nil).expectFail(http.StatusForbidden, "permission notify.write")
	viewer.api("POST", "setting/apiTokens/create", map[string]any{"name": "aud-v"}).expectFail(http.StatusForbidden, "permission tokens.manage")
	viewer.api("GET", "audit", nil).expectFail(http.StatusForbidden, "permission audit.read")
	log.expect(t, "refused viewer writes")

	// The reseller: its own clients, within its allowance (2 clients,
	// 3000 bytes of quota), through its session and its own token.
	res := env.loginAs("aud-res", "password-aud-res")
	by := auditBy{"aud-res", "reseller"}
	r1 := quotaClient("aud-r1@x", 1000)
	res.api("POST", "inbounds/addClient", clientBody(in, r1)).expectOK()
	log.expectBy(t, "reseller add", by, auditWant{"client.add", "client", "aud-r1@x", "user", api("inbounds/addClient"), nil})
	r1["totalGB"] = 1500
	res.api("POST", "inbounds/updateClient/"+r1["id"].(string), clientBody(in, r1)).expectOK()
	log.expectBy(t, "reseller update", by, auditWant{"client.update", "client", "aud-r1@x", "user", api("inbounds/updateClient/:clientId"),
		[]string{`{"field":"clients.aud-r1@x.totalGB","before":1000,"after":1500}`}})
	res.api("POST", "clients/bulk", map[string]any{"action": "disable", "emails": []string{"aud-r1@x"}}).expectOK()
	log.expectBy(t, "reseller bulk", by, auditWant{"client.bulk.disable", "client", "aud-r1@x", "user", api("clients/bulk"), nil})
	resTok := res.api("POST", "setting/apiTokens/create", map[string]any{"name": "aud-res-bot"}).expectOK().obj()
	log.expectBy(t, "reseller token", by, auditWant{"token.create", "token", itoa(int(resTok["id"].(float64))), "user", "",
		[]string{`{"field":"role","after":"reseller"}`}})
	rt := bearer(resTok["token"].(string))
	rt.api("POST", "inbounds/addClient", clientBody(in, quotaClient("aud-r2@x", 1000))).expectOK()
	log.expectBy(t, "reseller token write", by, auditWant{"client.add", "client", "aud-r2@x", "token", api("inbounds/addClient"), nil})
	// Refused: past the allowance, another's client, beyond its role.
	res.api("POST", "inbounds/addClient", clientBody(in, quotaClient("aud-r3@x", 100))).expectFail(http.StatusForbidden, "maxClients")
	rt.api("POST", "inbounds/addClient", clientBody(in, quotaClient("aud-r3@x", 100))).expectFail(http.StatusForbidden, "maxClients")
	r1["totalGB"] = 2500
	res.api("POST", "inbounds/updateClient/"+r1["id"].(string), clientBody(in, r1)).expectFail(http.StatusForbidden, "maxTrafficBytes")
	rt.api("POST", "clients/bulk", map[string]any{"action": "disable", "emails": []string{"a@x"}}).expectFail(http.StatusForbidden, "a@x")
	res.api("POST", "inbounds/"+inboundID+"/resetClientTraffic/aud-r1@x", nil).expectFail(http.StatusForbidden, "permission clients.reset")
	rt.api("POST", "inbounds/add", vlessInbound(freePort(t))).expectFail(http.StatusForbidden, "permission inbounds.write")
	log.expect(t, "refused reseller writes")
	res.api("POST", "inbounds/"+inboundID+"/delClient/"+r1["id"].(string), nil).expectOK()
	log.expectBy(t, "reseller delete", by, auditWant{"client.delete", "client", "aud-r1@x", "user", api("inbounds/:id/delClient/:clientId"), nil})

	// Deleting administrators: one row each (their tokens and client
	// ownership go in the same transaction, without rows of their own).
	for _, name := range []string{"aud-res", "aud-view"} {
		owner.api("POST", "admins/del/"+added[name], nil).expectOK()
		log.expect(t, "admin delete "+name, auditWant{"admin.delete", "user", added[name], "user", api("admins/del/:id"),
			[]string{`{"field":"username","before":"` + name + `"}`}})
	}
	return secrets
}

// writesNothing are the non-GET routes that store nothing, so have no
// audit row: reads 3x-ui also serves on POST, the pending two-factor
// setup (memory only), the test sends of the notification channels, and
// v3's clients routes that change nothing on the one-inbound model
// (auditV3ClientWrites drives each): :email/attach accepts only the
// client's own inbound (nothing to change) and refuses any other, detach
// and bulkAttach/bulkDetach are always refused until clients across
// inbounds exist (a refusal writes nothing), and delOrphans has no
// orphan to delete (every client lives in an inbound).
func writesNothing() map[string]bool {
	out := map[string]bool{}
	for _, p := range []string{"ips/:email", "onlines", "lastOnline", "activeInbounds",
		":email/attach", ":email/detach", "bulkAttach", "bulkDetach", "delOrphans"} {
		out["POST panel/api/clients/"+p] = true
	}
	for _, p := range []string{"setting/defaultCredential", "setting/twoFactor/status", "setting/twoFactor/setup",
		"inbounds/onlines", "inbounds/lastOnline", "inbounds/clientIps/:email",
		"server/status", "server/logs/:count", "server/panelLogs/:count", "server/getNewX25519Cert", "server/getNewUUID",
		"xray/", "xray", "setting/all", "setting/getXrayTemplate",
		"notify/webhooks/test/:id", "notify/email/test", "notify/telegram/test"} {
		out["POST panel/api/"+p] = true
	}
	out["POST panel/xray/"], out["POST panel/xray"] = true, true
	return out
}

// checkEveryWriteRouteAudited fails for a guarded write route (any method
// but GET) that none of rows came from, unless it stores nothing: a new
// write route must join TestEveryWriteIsAuditedOnce.
func checkEveryWriteRouteAudited(t *testing.T, rows []model.AuditLog) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range rows {
		method, path, _ := strings.Cut(r.Route, " ")
		seen[method+" "+strings.TrimPrefix(path, testBase)] = true
	}
	none := writesNothing()
	for key := range controller.PermissionRules() {
		if strings.HasPrefix(key, "GET ") || none[key] {
			continue
		}
		if !seen[key] {
			t.Errorf("write route %s made no audit row in this test", key)
		}
	}
	for key := range none {
		if seen[key] {
			t.Errorf("%s is listed as storing nothing but wrote an audit row", key)
		}
	}
}
