package app

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/web/controller"
)

// loginAs returns a client with a session of username.
func (e *testEnv) loginAs(username, password string) *client {
	e.t.Helper()
	c := e.client()
	r := c.do("POST", "login", map[string]string{"username": username, "password": password})
	if r.Code != 200 || !r.Msg.Success {
		e.t.Fatalf("login %s: %d %s", username, r.Code, r.Raw)
	}
	c.csrf = r.obj()["csrfToken"].(string)
	return c
}

// addAdmin has owner add an administrator and returns its id.
func addAdmin(owner *client, username string, role auth.Role, maxClients int, maxBytes int64) int {
	owner.env.t.Helper()
	r := owner.api("POST", "admins/add", map[string]any{"username": username, "password": "password-" + username,
		"role": string(role), "maxClients": maxClients, "maxTrafficBytes": maxBytes}).expectOK()
	return int(r.obj()["id"].(float64))
}

// concretePath fills a route pattern's parameters with harmless values.
func concretePath(pattern string) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			switch p {
			case ":id":
				parts[i] = "1"
			case ":count":
				parts[i] = "10"
			default:
				parts[i] = "nobody@x"
			}
		}
	}
	return strings.Join(parts, "/")
}

// Every role is refused every route outside its permissions with 403 and a
// message naming the permission (the request never reaches the handler,
// so the walk changes nothing), on the session and on a token of the
// role; and inside its permissions the reads it has work.
func TestRolesRefusedOutsidePermissions(t *testing.T) {
	t.Parallel() // own database and App
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		owner := env.loggedIn()
		owner.api("POST", "inbounds/add", vlessInbound(hostPort(29001), vlessClient("owned@x"))).expectOK()
		rules := controller.PermissionRules()
		keys := make([]string, 0, len(rules))
		for k := range rules {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		// The routes that came with the audit log and notifications are in
		// the walk (TestEveryRouteHasAPermission keeps the table complete).
		for _, k := range []string{"GET panel/api/audit", "GET panel/api/notify/kinds", "POST panel/api/notify/telegram/test"} {
			if _, ok := rules[k]; !ok {
				t.Fatalf("%s is not in the permission table", k)
			}
		}
		before := env.dbState(t)
		for _, role := range []auth.Role{auth.RoleAdmin, auth.RoleOperator, auth.RoleViewer, auth.RoleReseller} {
			name := "user-" + string(role)
			addAdmin(owner, name, role, 0, 0)
			c := env.loginAs(name, "password-"+name)
			me := c.api("GET", "me", nil).expectOK().obj()
			if me["role"] != string(role) {
				t.Fatalf("me: role %v, want %s", me["role"], role)
			}
			// A token of the role (the owner's; a reseller token only a
			// reseller makes) is refused the same routes.
			maker := owner
			if role == auth.RoleReseller {
				maker = c
			}
			tok := env.client()
			tok.bearer = createToken(maker, "walk-"+string(role), map[string]any{"role": string(role)})
			// A token's use stamps its last_used_at (auth.Tokens), which is
			// not a write of the request.
			lastUsed := regexp.MustCompile(`"last_used_at":\d+`)
			state := func() string { return lastUsed.ReplaceAllString(env.dbState(t), `"last_used_at":0`) }
			before = state()
			for _, who := range []struct {
				kind string
				c    *client
			}{{"session", c}, {"token", tok}} {
				refused := 0
				for _, key := range keys {
					rule := rules[key]
					if role.Has(rule.Perm) {
						continue
					}
					method, path, _ := strings.Cut(key, " ")
					r := who.c.do(method, concretePath(path), map[string]any{})
					if r.Code != http.StatusForbidden || r.Msg.Success || !strings.Contains(r.Msg.Msg, "permission "+string(rule.Perm)) {
						t.Errorf("%s %s %s: want 403 naming permission %s, got %d %s", role, who.kind, key, rule.Perm, r.Code, r.Raw)
					}
					refused++
				}
				if refused == 0 {
					t.Fatalf("%s %s: refused nothing", role, who.kind)
				}
			}
			if after := state(); after != before {
				t.Fatalf("%s: refused requests changed the database", role)
			}
			// Allowed reads answer.
			c.api("GET", "inbounds/list", nil).expectOK()
			c.api("GET", "clients/list/paged", nil).expectOK()
			if role.Has(auth.PermSettingsRead) {
				c.api("GET", "setting/all", nil).expectOK()
			}
			if role.Has(auth.PermServerStatus) {
				c.api("GET", "server/status", nil).expectOK()
			}
		}
		// The operator writes inbounds; the viewer does not.
		op := env.loginAs("user-operator", "password-user-operator")
		op.api("POST", "inbounds/add", vlessInbound(hostPort(29002), vlessClient("byop@x"))).expectOK()
		view := env.loginAs("user-viewer", "password-user-viewer")
		view.api("POST", "inbounds/add", vlessInbound(hostPort(29003))).expectFail(http.StatusForbidden, "permission inbounds.write")
		// An admin changes the Xray template but not panel settings.
		adm := env.loginAs("user-admin", "password-user-admin")
		adm.api("POST", "setting/update", map[string]any{"subEnable": true}).expectFail(http.StatusForbidden, "permission settings.write")
		adm.api("GET", "server/getDb", nil).expectFail(http.StatusForbidden, "permission db.backup")
	})
}

// clientBody is an addClient/updateClient body for inbound id.
func clientBody(id int, clients ...map[string]any) map[string]any {
	return map[string]any{"id": id, "settings": mustJSON(map[string]any{"clients": clients})}
}

func quotaClient(email string, total int64) map[string]any {
	c := vlessClient(email)
	c["totalGB"] = total
	return c
}

// inboundEmails lists the client emails of every inbound a list answers.
func inboundEmails(t *testing.T, r *resp) []string {
	t.Helper()
	var out []string
	for _, in := range r.Msg.Obj.([]any) {
		for _, st := range in.(map[string]any)["clientStats"].([]any) {
			out = append(out, st.(map[string]any)["email"].(string))
		}
		if s := in.(map[string]any)["settings"].(string); strings.Contains(s, "owned@x") && len(out) == 0 {
			out = append(out, "owned@x (in settings)")
		}
	}
	sort.Strings(out)
	return out
}

// A reseller sees and touches only its own clients, in lists, details and
// writes, and stays within its client count and traffic allowance, checked
// in the write's transaction (a refused write changes nothing).
func TestResellerIsolationAndAllowance(t *testing.T) {
	t.Parallel() // own database and App
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		owner := env.loggedIn()
		ownedClient := vlessClient("owned@x")
		in := owner.api("POST", "inbounds/add", vlessInbound(hostPort(29011), ownedClient)).expectOK().obj()
		id := int(in["id"].(float64))
		addAdmin(owner, "resa", auth.RoleReseller, 2, 3000)
		addAdmin(owner, "resb", auth.RoleReseller, 5, 10000)
		a := env.loginAs("resa", "password-resa")
		b2 := env.loginAs("resb", "password-resb")

		a1 := quotaClient("a1@x", 1000)
		a.api("POST", "inbounds/addClient", clientBody(id, a1)).expectOK()
		bc := quotaClient("b1@x", 1000)
		b2.api("POST", "inbounds/addClient", clientBody(id, bc)).expectOK()

		if got := inboundEmails(t, a.api("GET", "inbounds/list", nil).expectOK()); strings.Join(got, ",") != "a1@x" {
			t.Fatalf("reseller A's inbound list shows %v, want only a1@x", got)
		}
		settings := a.api("GET", "inbounds/get/"+itoa(id), nil).expectOK().obj()["settings"].(string)
		if strings.Contains(settings, "b1@x") || strings.Contains(settings, "owned@x") || !strings.Contains(settings, "a1@x") {
			t.Fatalf("reseller A's inbound settings: %s", settings)
		}
		page := a.api("GET", "clients/list/paged", nil).expectOK().obj()
		if page["total"].(float64) != 1 {
			t.Fatalf("reseller A's client page: %v", page)
		}
		clients := a.api("GET", "inbounds/"+itoa(id)+"/clients", nil).expectOK().obj()
		if clients["total"].(float64) != 1 {
			t.Fatalf("reseller A's inbound clients: %v", clients)
		}
		a.api("GET", "clients/get/b1@x", nil).expectFail(http.StatusForbidden, "email")
		a.api("GET", "inbounds/getClientTraffics/b1@x", nil).expectFail(http.StatusForbidden, "email")
		a.api("GET", "inbounds/clientIps/owned@x", nil).expectFail(http.StatusForbidden, "email")

		before := env.dbState(t)
		a.api("POST", "inbounds/"+itoa(id)+"/delClient/"+bc["id"].(string), nil).expectFail(http.StatusForbidden, "b1@x")
		bc2 := quotaClient("b1@x", 500)
		bc2["id"] = bc["id"]
		a.api("POST", "inbounds/updateClient/"+bc["id"].(string), clientBody(id, bc2)).expectFail(http.StatusForbidden, "b1@x")
		a.api("POST", "clients/bulk", map[string]any{"action": "delete", "emails": []string{"b1@x"}}).expectFail(http.StatusForbidden, "b1@x")
		a.api("POST", "clients/bulk", map[string]any{"action": "reset", "emails": []string{"a1@x"}}).expectFail(http.StatusForbidden, "clients.reset")
		a.api("POST", "inbounds/"+itoa(id)+"/resetClientTraffic/a1@x", nil).expectFail(http.StatusForbidden, "permission clients.reset")
		a.api("POST", "inbounds/addClient", clientBody(id, quotaClient("a2@x", 0))).expectFail(http.StatusBadRequest, "totalGB")
		a.api("POST", "inbounds/addClient", clientBody(id, quotaClient("a2@x", 2500))).expectFail(http.StatusForbidden, "maxTrafficBytes")
		big := quotaClient("a1@x", 5000)
		big["id"] = a1["id"]
		a.api("POST", "inbounds/updateClient/"+a1["id"].(string), clientBody(id, big)).expectFail(http.StatusForbidden, "maxTrafficBytes")
		a.api("POST", "clients/addMany", map[string]any{"inboundId": id, "prefix": "m", "count": 2, "totalGB": 100}).expectFail(http.StatusForbidden, "maxClients")
		a.api("POST", "inbounds/add", vlessInbound(hostPort(29012))).expectFail(http.StatusForbidden, "permission inbounds.write")
		if after := env.dbState(t); after != before {
			t.Fatal("refused reseller writes changed the database")
		}

		a.api("POST", "inbounds/addClient", clientBody(id, quotaClient("a2@x", 1500))).expectOK()
		a.api("POST", "inbounds/addClient", clientBody(id, quotaClient("a3@x", 100))).expectFail(http.StatusForbidden, "maxClients")
		// Its own client it changes and deletes; deleting frees allowance.
		a.api("POST", "clients/bulk", map[string]any{"action": "disable", "emails": []string{"a1@x"}}).expectOK()
		a.api("POST", "inbounds/"+itoa(id)+"/delClient/"+a1["id"].(string), nil).expectOK()
		a.api("POST", "inbounds/addClient", clientBody(id, quotaClient("a3@x", 100))).expectOK()
		// The owner sees every client, and B still has its own.
		if n := owner.api("GET", "clients/list/paged", nil).expectOK().obj()["total"].(float64); n != 4 {
			t.Fatalf("owner sees %v clients, want 4", n)
		}
		b2.api("GET", "clients/get/b1@x", nil).expectOK()
		b2.api("GET", "clients/get/a2@x", nil).expectFail(http.StatusForbidden, "email")
		// B's API token is a reseller token with B's clients and allowance.
		b2.api("POST", "setting/apiTokens/create", map[string]any{"name": "bad", "role": "operator"}).expectFail(http.StatusForbidden, "role")
		bt := env.client()
		bt.bearer = createToken(b2, "b-bot", nil)
		bt.api("GET", "clients/get/a2@x", nil).expectFail(http.StatusForbidden, "email")
		bt.api("POST", "inbounds/addClient", clientBody(id, quotaClient("b2@x", 500))).expectOK()
		bt.api("POST", "inbounds/addClient", clientBody(id, quotaClient("b3@x", 0))).expectFail(http.StatusBadRequest, "totalGB")
		bt.api("POST", "inbounds/add", vlessInbound(hostPort(29014))).expectFail(http.StatusForbidden, "permission inbounds.write")
		if list := b2.api("GET", "setting/apiTokens", nil).expectOK().Msg.Obj.([]any); len(list) != 1 {
			t.Fatalf("reseller B lists %d tokens, want its own 1", len(list))
		}

		// An owner renaming B's client keeps it B's; deleting the inbound
		// ends B's ownership, so a new client of that email made by the
		// owner elsewhere is not B's.
		renamed := quotaClient("b1-renamed@x", 1000)
		renamed["id"] = bc["id"]
		owner.api("POST", "inbounds/updateClient/"+bc["id"].(string), clientBody(id, renamed)).expectOK()
		b2.api("GET", "clients/get/b1-renamed@x", nil).expectOK()
		owner.api("POST", "inbounds/del/"+itoa(id), nil).expectOK()
		other := int(owner.api("POST", "inbounds/add", vlessInbound(hostPort(29013), vlessClient("b1-renamed@x"))).expectOK().obj()["id"].(float64))
		b2.api("GET", "clients/get/b1-renamed@x", nil).expectFail(http.StatusForbidden, "email")
		if got := inboundEmails(t, b2.api("GET", "inbounds/list", nil).expectOK()); len(got) != 0 {
			t.Fatalf("reseller B sees %v in inbound %d after its clients went", got, other)
		}
	})
}

// createToken has c make a token with extra fields and returns it.
func createToken(c *client, name string, extra map[string]any) string {
	c.env.t.Helper()
	body := map[string]any{"name": name}
	for k, v := range extra {
		body[k] = v
	}
	return c.api("POST", "setting/apiTokens/create", body).expectOK().obj()["token"].(string)
}

// API tokens act with their role (never above their user's) and, when
// scoped, on their one inbound only.
func TestTokenRoleAndScope(t *testing.T) {
	t.Parallel() // own database and App
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		owner := env.loggedIn()
		in1 := int(owner.api("POST", "inbounds/add", vlessInbound(hostPort(29021), vlessClient("one@x"))).expectOK().obj()["id"].(float64))
		in2 := int(owner.api("POST", "inbounds/add", vlessInbound(hostPort(29022), vlessClient("two@x"))).expectOK().obj()["id"].(float64))
		bot := func(token string) *client {
			c := env.client()
			c.bearer = token
			return c
		}

		viewer := bot(createToken(owner, "viewer", map[string]any{"role": "viewer"}))
		viewer.api("GET", "inbounds/list", nil).expectOK()
		viewer.api("POST", "inbounds/add", vlessInbound(hostPort(29023))).expectFail(http.StatusForbidden, "permission inbounds.write")

		scoped := bot(createToken(owner, "scoped", map[string]any{"role": "operator", "scopeKind": "inbound", "scopeId": in1}))
		scoped.api("GET", "inbounds/get/"+itoa(in1), nil).expectOK()
		scoped.api("GET", "inbounds/get/"+itoa(in2), nil).expectFail(http.StatusForbidden, "scope")
		if got := inboundEmails(t, scoped.api("GET", "inbounds/list", nil).expectOK()); strings.Join(got, ",") != "one@x" {
			t.Fatalf("scoped token lists %v", got)
		}
		scoped.api("POST", "inbounds/addClient", clientBody(in2, vlessClient("x2@x"))).expectFail(http.StatusForbidden, "scope")
		scoped.api("POST", "inbounds/addClient", clientBody(in1, vlessClient("x1@x"))).expectOK()
		scoped.api("GET", "clients/get/two@x", nil).expectFail(http.StatusForbidden, "email")
		scoped.api("GET", "server/status", nil).expectFail(http.StatusForbidden, "scope")
		scoped.api("GET", "setting/all", nil).expectFail(http.StatusForbidden, "permission settings.read")
		if n := scoped.api("GET", "clients/list/paged", nil).expectOK().obj()["total"].(float64); n != 2 {
			t.Fatalf("scoped token's client page has %v clients, want 2", n)
		}

		// An operator cannot make a token above its role; its own tokens
		// are all it lists; demoting it lowers its tokens.
		opID := addAdmin(owner, "op", auth.RoleOperator, 0, 0)
		op := env.loginAs("op", "password-op")
		op.api("POST", "setting/apiTokens/create", map[string]any{"name": "big", "role": "owner"}).expectFail(http.StatusForbidden, "role")
		opTok := bot(createToken(op, "optoken", nil))
		opTok.api("POST", "inbounds/add", vlessInbound(hostPort(29024))).expectOK()
		if list := op.api("GET", "setting/apiTokens", nil).expectOK().Msg.Obj.([]any); len(list) != 1 {
			t.Fatalf("operator lists %d tokens, want its own 1", len(list))
		}
		owner.api("POST", "admins/update/"+itoa(opID), map[string]any{"role": "viewer"}).expectOK()
		opTok.api("POST", "inbounds/add", vlessInbound(hostPort(29025))).expectFail(http.StatusForbidden, "permission inbounds.write")
	})
}

// The last owner cannot be deleted or demoted (no lockout); admins are
// managed by owners only, and a password reset ends the admin's sessions.
func TestLastOwnerProtected(t *testing.T) {
	t.Parallel() // own database and App
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		owner := env.loggedIn()
		admins := owner.api("GET", "admins/list", nil).expectOK().Msg.Obj.([]any)
		if len(admins) != 1 || admins[0].(map[string]any)["role"] != "owner" {
			t.Fatalf("the seeded admin is not the one owner: %v", admins)
		}
		firstID := int(admins[0].(map[string]any)["id"].(float64))
		owner.api("POST", "admins/update/"+itoa(firstID), map[string]any{"role": "admin"}).expectFail(http.StatusForbidden, "last owner")
		secondID := addAdmin(owner, "second", auth.RoleOwner, 0, 0)
		second := env.loginAs("second", "password-second")
		second.api("POST", "admins/update/"+itoa(firstID), map[string]any{"role": "admin"}).expectOK()
		second.api("POST", "admins/update/"+itoa(secondID), map[string]any{"role": "viewer"}).expectFail(http.StatusForbidden, "last owner")
		second.api("POST", "admins/del/"+itoa(secondID), nil).expectFail(http.StatusForbidden, "own account")
		// The demoted first admin may no longer manage admins.
		owner.api("GET", "admins/list", nil).expectFail(http.StatusForbidden, "permission admins.manage")
		owner.api("POST", "admins/add", map[string]any{"username": "x", "password": "password-x", "role": "owner"}).
			expectFail(http.StatusForbidden, "permission admins.manage")
		// Bad input names the field and adds nobody.
		second.api("POST", "admins/add", map[string]any{"username": "y", "password": "password-y", "role": "boss"}).expectFail(http.StatusBadRequest, "role")
		second.api("POST", "admins/add", map[string]any{"username": "y", "password": "short", "role": "viewer"}).expectFail(http.StatusBadRequest, "password")
		second.api("POST", "admins/add", map[string]any{"username": "y", "password": "password-y", "role": "viewer", "maxClients": 3}).expectFail(http.StatusBadRequest, "maxClients")
		if n := len(second.api("GET", "admins/list", nil).expectOK().Msg.Obj.([]any)); n != 2 {
			t.Fatalf("%d admins after refused adds, want 2", n)
		}
		// A reset password ends the admin's session.
		second.api("POST", "admins/resetPassword/"+itoa(firstID), map[string]any{"password": "new-password-1"}).expectOK()
		if r := owner.api("GET", "me", nil); r.Code != http.StatusUnauthorized {
			t.Fatalf("session after password reset: %d %s", r.Code, r.Raw)
		}
		env.loginAs("admin", "new-password-1").api("GET", "me", nil).expectOK()
		second.api("POST", "admins/del/"+itoa(firstID), nil).expectOK()
	})
}

// A worker applies the same permission table: a viewer made on the master
// reads on the worker and is refused a write for its permission (before
// the worker's own read-only refusal), and a reseller's lists there are
// narrowed to its clients as on the master.
func TestWorkerEnforcesRoles(t *testing.T) {
	t.Parallel() // own database and apps
	master, worker := masterAndWorker(t)
	owner := master.loggedIn()
	id := int(owner.api("POST", "inbounds/add", vlessInbound(hostPort(29031), vlessClient("own@x"))).expectOK().obj()["id"].(float64))
	addAdmin(owner, "wview", auth.RoleViewer, 0, 0)
	addAdmin(owner, "wres", auth.RoleReseller, 3, 3000)
	master.loginAs("wres", "password-wres").api("POST", "inbounds/addClient", clientBody(id, quotaClient("res@x", 1000))).expectOK()

	v := worker.loginAs("wview", "password-wview")
	v.api("GET", "me", nil).expectOK()
	v.api("POST", "inbounds/add", vlessInbound(hostPort(29032))).expectFail(http.StatusForbidden, "permission inbounds.write")
	v.api("GET", "server/getDb", nil).expectFail(http.StatusForbidden, "permission db.backup")
	r := worker.loginAs("wres", "password-wres")
	if got := inboundEmails(t, r.api("GET", "inbounds/list", nil).expectOK()); strings.Join(got, ",") != "res@x" {
		t.Fatalf("reseller on the worker lists %v, want only res@x", got)
	}
	r.api("GET", "clients/get/own@x", nil).expectFail(http.StatusForbidden, "email")
	// Owners on a worker are still refused writes by the worker itself.
	worker.loggedIn().api("POST", "admins/add", map[string]any{"username": "z", "password": "password-z", "role": "viewer"}).
		expectFail(http.StatusForbidden, "master")
}

// Two-factor login is per administrator: a viewer enrols its own secret,
// its login then needs a code from that secret, and the owner's does not;
// the admins list shows who has it.
func TestTwoFactorPerAdmin(t *testing.T) {
	t.Parallel() // own database and App
	env := newEnv(t, dbtest.New(t, dbtest.SQLite))
	owner := env.loggedIn()
	addAdmin(owner, "tfview", auth.RoleViewer, 0, 0)
	v := env.loginAs("tfview", "password-tfview")
	secret := v.api("POST", "setting/twoFactor/setup", nil).expectOK().obj()["secret"].(string)
	v.api("POST", "setting/twoFactor/enable", map[string]string{"code": totpNow(t, secret)}).expectOK()

	env.client().do("POST", "login", map[string]string{"username": "tfview", "password": "password-tfview"}).
		expectFail(http.StatusUnauthorized, "twoFactorCode")
	env.loggedIn().api("GET", "setting/twoFactor/status", nil).expectOK()
	if on := owner.api("GET", "setting/twoFactor/status", nil).expectOK().obj()["enabled"]; on != false {
		t.Fatalf("the owner's two-factor status is %v after the viewer enrolled", on)
	}
	for _, a := range owner.api("GET", "admins/list", nil).expectOK().Msg.Obj.([]any) {
		m := a.(map[string]any)
		if want := m["username"] == "tfview"; m["twoFactor"] != want {
			t.Fatalf("admins list: %v", m)
		}
	}
}
