package controller

import (
	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// rule shorthands: plain (whole-panel route), narrows (limits itself to a
// reseller's clients and a scoped token's inbound), byID (its :id is an
// inbound a scoped token must match).
func plain(p auth.Permission) middleware.Rule   { return middleware.Rule{Perm: p} }
func narrows(p auth.Permission) middleware.Rule { return middleware.Rule{Perm: p, Narrows: true} }
func byID(p auth.Permission) middleware.Rule    { return middleware.Rule{Perm: p, IDParam: true} }

// getPost maps both methods of a route 3x-ui serves on GET and POST.
func getPost(rules middleware.Rules, path string, r middleware.Rule) {
	rules["GET "+path] = r
	rules["POST "+path] = r
}

// PermissionRules is the one table of what every guarded route needs
// (docs/roles.md lists it). TestEveryRouteHasAPermission fails when a
// registered route under panel/ is missing here.
func PermissionRules() middleware.Rules {
	r := middleware.Rules{}
	const api = "panel/api/"
	// The logged-in user's own things: every role.
	r["GET panel/csrf-token"] = narrows(auth.PermPanel)
	r["GET "+api+"me"] = narrows(auth.PermPanel)
	r["GET "+api+"server/nodeInfo"] = narrows(auth.PermPanel)
	getPost(r, api+"setting/defaultCredential", narrows(auth.PermPanel))
	r["POST "+api+"setting/updateUser"] = narrows(auth.PermPanel)
	getPost(r, api+"setting/twoFactor/status", narrows(auth.PermPanel))
	for _, p := range []string{"setup", "enable", "disable"} {
		r["POST "+api+"setting/twoFactor/"+p] = narrows(auth.PermPanel)
	}

	// Inbounds and their clients.
	in := api + "inbounds/"
	r["GET "+in+"list"] = narrows(auth.PermInboundsRead)
	r["GET "+in+"get/:id"] = middleware.Rule{Perm: auth.PermInboundsRead, Narrows: true, IDParam: true}
	r["POST "+in+"add"] = plain(auth.PermInboundsWrite)
	r["POST "+in+"update/:id"] = byID(auth.PermInboundsWrite)
	r["POST "+in+"del/:id"] = byID(auth.PermInboundsWrite)
	r["POST "+in+"addClient"] = narrows(auth.PermClientsWrite)
	r["POST "+in+":id/delClient/:clientId"] = middleware.Rule{Perm: auth.PermClientsWrite, Narrows: true, IDParam: true}
	r["POST "+in+"updateClient/:clientId"] = narrows(auth.PermClientsWrite)
	r["POST "+in+":id/resetClientTraffic/:email"] = byID(auth.PermClientsReset)
	r["POST "+in+"resetAllTraffics"] = plain(auth.PermInboundsWrite)
	r["POST "+in+"resetAllClientTraffics/:id"] = byID(auth.PermInboundsWrite)
	r["POST "+in+"delDepletedClients/:id"] = byID(auth.PermInboundsWrite)
	r["GET "+in+"getClientTraffics/:email"] = narrows(auth.PermClientsRead)
	r["GET "+in+":id/clients"] = middleware.Rule{Perm: auth.PermClientsRead, Narrows: true, IDParam: true}
	getPost(r, in+"onlines", narrows(auth.PermClientsRead))
	getPost(r, in+"lastOnline", narrows(auth.PermClientsRead))
	getPost(r, in+"clientIps/:email", narrows(auth.PermClientsRead))
	r["POST "+in+"clearClientIps/:email"] = narrows(auth.PermClientsWrite)
	// 3x-ui v3's inbound routes (inbound_v3.go): the reads narrow like
	// list; bulkDel names its inbounds in the body, so no scoped token.
	r["GET "+in+"list/slim"] = narrows(auth.PermInboundsRead)
	r["GET "+in+"options"] = narrows(auth.PermInboundsRead)
	r["POST "+in+"setEnable/:id"] = byID(auth.PermInboundsWrite)
	r["POST "+in+":id/resetTraffic"] = byID(auth.PermInboundsWrite)
	r["POST "+in+":id/delAllClients"] = byID(auth.PermInboundsWrite)
	r["POST "+in+"bulkDel"] = plain(auth.PermInboundsWrite)
	r["POST "+in+"import"] = plain(auth.PermInboundsWrite)
	cl := api + "clients/"
	r["GET "+cl+"list/paged"] = narrows(auth.PermClientsRead)
	r["GET "+cl+"get/:email"] = narrows(auth.PermClientsRead)
	r["POST "+cl+"bulk"] = narrows(auth.PermClientsWrite)
	r["POST "+cl+"addMany"] = narrows(auth.PermClientsWrite)
	// 3x-ui v3.6's clients routes: reads and client writes narrow to a
	// reseller's clients; whole-panel resets and deletes stay inbound writes.
	for _, p := range []string{"list", "get/tgId/:tgId", "traffic/:email", "subLinks/:subId", "links/:email", "export"} {
		r["GET "+cl+p] = narrows(auth.PermClientsRead)
	}
	for _, p := range []string{"ips/:email", "onlines", "lastOnline", "activeInbounds"} {
		r["POST "+cl+p] = narrows(auth.PermClientsRead)
	}
	for _, p := range []string{"add", "update/:email", "del/:email", ":email/attach", ":email/detach", "import",
		"bulkAdjust", "bulkEnable", "bulkDisable", "bulkDel", "bulkCreate", "bulkAttach", "bulkDetach", "clearIps/:email"} {
		r["POST "+cl+p] = narrows(auth.PermClientsWrite)
	}
	for _, p := range []string{"resetTraffic/:email", "bulkResetTraffic", "updateTraffic/:email"} {
		r["POST "+cl+p] = narrows(auth.PermClientsReset)
	}
	for _, p := range []string{"delOrphans", "resetAllTraffics", "delDepleted"} {
		r["POST "+cl+p] = plain(auth.PermInboundsWrite)
	}

	// Server, Xray, database.
	sv := api + "server/"
	r["POST "+sv+"restartXrayService"] = plain(auth.PermXrayRestart)
	r["POST "+sv+"stopXrayService"] = plain(auth.PermXrayRestart)
	r["GET "+sv+"getConfigJson"] = plain(auth.PermXrayConfigRead)
	r["GET "+sv+"getDb"] = plain(auth.PermDBBackup)
	r["POST "+sv+"importDB"] = plain(auth.PermDBImport)
	getPost(r, sv+"status", plain(auth.PermServerStatus))
	getPost(r, sv+"logs/:count", plain(auth.PermLogsRead))
	getPost(r, sv+"panelLogs/:count", plain(auth.PermLogsRead))
	getPost(r, sv+"getNewX25519Cert", plain(auth.PermInboundsWrite))
	// A fresh UUID reveals nothing; the client form asks for one.
	getPost(r, sv+"getNewUUID", narrows(auth.PermClientsWrite))
	r["GET "+api+"nodes/list"] = plain(auth.PermNodesRead)
	for _, x := range []string{api + "xray", "panel/xray"} {
		r["POST "+x+"/"] = plain(auth.PermXrayConfigRead)
		r["POST "+x] = plain(auth.PermXrayConfigRead)
		r["POST "+x+"/update"] = plain(auth.PermXrayConfigEdit)
	}

	// Settings.
	st := api + "setting/"
	getPost(r, st+"all", plain(auth.PermSettingsRead))
	getPost(r, st+"getXrayTemplate", plain(auth.PermXrayConfigRead))
	r["POST "+st+"update"] = plain(auth.PermSettingsWrite)
	r["POST "+st+"restartPanel"] = plain(auth.PermSettingsWrite)
	r["POST "+st+"updateXrayTemplate"] = plain(auth.PermXrayConfigEdit)
	// Token routes act on the caller's own tokens (an owner's: every
	// token), so a reseller may keep tokens for its own automation.
	r["GET "+st+"apiTokens"] = narrows(auth.PermTokensManage)
	for _, p := range []string{"apiTokens", "apiTokens/create", "apiTokens/revoke/:id", "apiTokens/delete/:id", "apiTokens/setEnabled/:id"} {
		r["POST "+st+p] = narrows(auth.PermTokensManage)
	}
	r["DELETE "+st+"apiTokens/:id"] = narrows(auth.PermTokensManage)

	// Notifications.
	nt := api + "notify/"
	for _, p := range []string{"webhooks", "webhooks/list", "deliveries", "events", "kinds"} {
		r["GET "+nt+p] = plain(auth.PermNotifyRead)
	}
	for _, p := range []string{"webhooks/add", "webhooks/update/:id", "webhooks/del/:id", "webhooks/test/:id", "email/test", "telegram/test"} {
		r["POST "+nt+p] = plain(auth.PermNotifyWrite)
	}

	// The audit log (who changed what: owners and admins).
	r["GET "+api+"audit"] = plain(auth.PermAuditRead)

	// Administrators.
	ad := api + "admins/"
	r["GET "+ad+"list"] = plain(auth.PermAdminsManage)
	r["POST "+ad+"add"] = plain(auth.PermAdminsManage)
	r["POST "+ad+"update/:id"] = plain(auth.PermAdminsManage)
	r["POST "+ad+"del/:id"] = plain(auth.PermAdminsManage)
	r["POST "+ad+"resetPassword/:id"] = plain(auth.PermAdminsManage)
	return r
}
