package app

import (
	"net/http"
	"testing"
)

// auditV3ClientWrites is the part of TestEveryWriteIsAuditedOnce for
// 3x-ui v3.6's panel/api/clients routes (bodies as in TestV3Clients*): each
// write, made once by the owner on inboundID, is in the log once with its
// action, target and route; the POST-served reads, the accepted re-attach
// to the client's own inbound, the refused attach/detach and delOrphans
// store nothing and leave no row (they are on writesNothing). Its clients
// (v3a..v3c@x) are gone again at the end; the inbound's own are untouched
// but for the whole-panel traffic reset.
func auditV3ClientWrites(t *testing.T, c *client, log *auditTail, inboundID string) {
	t.Helper()
	api := func(p string) string { return "POST " + testBase + "panel/api/clients/" + p }
	in := float64(atoi(inboundID))
	ids := []float64{in}
	emails := func(e ...string) map[string]any { return map[string]any{"emails": e} }
	row := func(action, kind, target, route string, changes ...string) auditWant {
		return auditWant{action, kind, target, "user", api(route), changes}
	}

	c.api("POST", "clients/add", map[string]any{"client": map[string]any{"email": "v3a@x", "comment": "v3"}, "inboundIds": ids}).expectOK()
	log.expect(t, "v3 add", row("client.add", "client", "v3a@x", "add", `"field":"clients.v3a@x","after":{`))
	c.api("POST", "clients/update/v3a@x?inboundIds="+inboundID, map[string]any{"email": "v3a@x", "totalGB": 1000, "enable": true}).expectOK()
	log.expect(t, "v3 update", row("client.update", "client", "v3a@x", "update/:email", `{"field":"clients.v3a@x.totalGB","after":1000}`))
	c.api("POST", "clients/bulkCreate", []map[string]any{{"client": map[string]any{"email": "v3b@x"}, "inboundIds": ids}}).expectOK()
	log.expect(t, "v3 bulkCreate", row("client.add", "client", "v3b@x", "bulkCreate", `"field":"clients.v3b@x"`))
	imp := []map[string]any{{"client": map[string]any{"email": "v3c@x"}, "inboundIds": ids}}
	if got := c.api("POST", "clients/import", map[string]any{"data": mustJSON(imp)}).expectOK().obj(); got["created"] != float64(1) {
		t.Fatalf("v3 import = %v", got)
	}
	log.expect(t, "v3 import", row("client.add", "client", "v3c@x", "import", `"field":"clients.v3c@x"`))

	c.api("POST", "clients/bulkDisable", emails("v3b@x")).expectOK()
	log.expect(t, "v3 bulkDisable", row("client.bulk.disable", "client", "v3b@x", "bulkDisable", `{"field":"enable","after":false}`))
	c.api("POST", "clients/bulkEnable", emails("v3b@x")).expectOK()
	log.expect(t, "v3 bulkEnable", row("client.bulk.enable", "client", "v3b@x", "bulkEnable", `{"field":"enable","after":true}`))
	c.api("POST", "clients/bulkAdjust", map[string]any{"emails": []string{"v3b@x"}, "addDays": 10}).expectOK()
	log.expect(t, "v3 bulkAdjust", row("client.bulk.extend", "client", "v3b@x", "bulkAdjust", `"after":"+10 days"`))
	c.api("POST", "clients/updateTraffic/v3b@x", map[string]any{"upload": 100, "download": 200}).expectOK()
	log.expect(t, "v3 updateTraffic", row("client.updateTraffic", "client", "v3b@x", "updateTraffic/:email",
		`{"field":"up","after":100}`, `{"field":"down","after":200}`))
	c.api("POST", "clients/bulkResetTraffic", emails("v3b@x")).expectOK()
	log.expect(t, "v3 bulkResetTraffic", row("client.bulk.reset", "client", "v3b@x", "bulkResetTraffic"))
	c.api("POST", "clients/resetTraffic/v3b@x", nil).expectOK()
	log.expect(t, "v3 resetTraffic", row("client.resetTraffic", "client", "v3b@x", "resetTraffic/:email"))
	c.api("POST", "clients/clearIps/v3b@x", nil).expectOK()
	log.expect(t, "v3 clearIps", row("client.clearIps", "client", "v3b@x", "clearIps/:email"))

	// v3a@x over its 1000-byte quota is the one depleted client.
	c.api("POST", "clients/updateTraffic/v3a@x", map[string]any{"upload": 600, "download": 600}).expectOK()
	log.expect(t, "v3 deplete", row("client.updateTraffic", "client", "v3a@x", "updateTraffic/:email"))
	if got := c.api("POST", "clients/delDepleted", nil).expectOK().obj(); got["deleted"] != float64(1) {
		t.Fatalf("v3 delDepleted = %v", got)
	}
	log.expect(t, "v3 delDepleted", row("client.deleteDepleted", "inbound", "*", "delDepleted", `{"field":"clients.v3a@x","after":"deleted"}`))
	c.api("POST", "clients/resetAllTraffics", nil).expectOK()
	log.expect(t, "v3 resetAllTraffics", row("inbound.resetClientTraffics", "inbound", "*", "resetAllTraffics"))

	// Stores nothing: reads served on POST, the re-attach to the client's
	// own inbound (accepted, nothing changes), attach elsewhere, detach and
	// the bulk attach/detach (refused: clients across inbounds are not
	// yet served, a refusal writes nothing), and delOrphans (a client
	// here always lives in an inbound: there is never one to delete).
	for _, p := range []string{"onlines", "lastOnline", "activeInbounds", "ips/v3b@x"} {
		c.api("POST", "clients/"+p, nil).expectOK()
	}
	c.api("POST", "clients/v3b@x/attach", map[string]any{"inboundIds": ids}).expectOK()
	c.api("POST", "clients/v3b@x/attach", map[string]any{"inboundIds": []float64{in + 1000}}).expectFail(http.StatusBadRequest, "inboundIds")
	c.api("POST", "clients/v3b@x/detach", map[string]any{"inboundIds": ids}).expectFail(http.StatusBadRequest, "inboundIds")
	c.api("POST", "clients/bulkAttach", map[string]any{"emails": []string{"v3b@x"}, "inboundIds": ids}).expectFail(http.StatusBadRequest, "inboundIds")
	c.api("POST", "clients/bulkDetach", map[string]any{"emails": []string{"v3b@x"}, "inboundIds": ids}).expectFail(http.StatusBadRequest, "inboundIds")
	if got := c.api("POST", "clients/delOrphans", nil).expectOK().obj(); got["deleted"] != float64(0) {
		t.Fatalf("v3 delOrphans = %v", got)
	}
	log.expect(t, "v3 reads, re-attach, refusals, delOrphans")

	if got := c.api("POST", "clients/bulkDel", emails("v3c@x")).expectOK().obj(); got["deleted"] != float64(1) {
		t.Fatalf("v3 bulkDel = %v", got)
	}
	log.expect(t, "v3 bulkDel", row("client.bulk.delete", "client", "v3c@x", "bulkDel"))
	c.api("POST", "clients/del/v3b@x", nil).expectOK()
	log.expect(t, "v3 del", row("client.delete", "client", "v3b@x", "del/:email", `"field":"clients.v3b@x","before":{`))
}
