package controller

import (
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// guarded reports whether a registered path is behind the API guard (and
// so behind Authorize): the JSON API, v2's xray routes and csrf-token.
// Everything else under the base path is public (login) or an HTML page.
func guarded(path string) bool {
	return strings.HasPrefix(path, "/panel/api/") || strings.HasPrefix(path, "/panel/xray") ||
		path == "/panel/csrf-token"
}

// Every guarded route has exactly one permission in the table, and the
// table names no route that does not exist (a renamed route would leave
// its old rule behind and the new one refused).
func TestEveryRouteHasAPermission(t *testing.T) {
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	Register(engine, Deps{BasePath: "/", Auth: &middleware.Authenticator{}})
	rules := PermissionRules()
	seen := map[string]bool{}
	n := 0
	for _, r := range engine.Routes() {
		if !guarded(r.Path) {
			continue
		}
		n++
		key := middleware.RouteKey(r.Method, r.Path, "/")
		seen[key] = true
		rule, ok := rules[key]
		if !ok {
			t.Errorf("route %s has no permission mapping in PermissionRules", key)
			continue
		}
		known := false
		for _, p := range auth.AllPermissions() {
			known = known || p == rule.Perm
		}
		if !known {
			t.Errorf("route %s maps to unknown permission %q", key, rule.Perm)
		}
	}
	if n < 50 {
		t.Fatalf("walked only %d guarded routes; the walk is broken", n)
	}
	for key := range rules {
		if !seen[key] {
			t.Errorf("PermissionRules maps %s, which is not a registered route", key)
		}
	}
}

// Each role's permissions are what docs/roles.md says, in particular the
// lines the issue draws.
func TestRolePermissions(t *testing.T) {
	cases := []struct {
		role auth.Role
		has  []auth.Permission
		lack []auth.Permission
	}{
		{auth.RoleOwner, auth.AllPermissions(), nil},
		{auth.RoleAdmin, []auth.Permission{auth.PermInboundsWrite, auth.PermXrayRestart, auth.PermXrayConfigEdit, auth.PermNotifyWrite},
			[]auth.Permission{auth.PermAdminsManage, auth.PermSettingsWrite, auth.PermDBBackup, auth.PermDBImport}},
		{auth.RoleOperator, []auth.Permission{auth.PermInboundsWrite, auth.PermClientsWrite, auth.PermClientsReset},
			[]auth.Permission{auth.PermXrayRestart, auth.PermSettingsRead, auth.PermSettingsWrite, auth.PermAdminsManage, auth.PermDBBackup}},
		{auth.RoleViewer, []auth.Permission{auth.PermInboundsRead, auth.PermClientsRead, auth.PermSettingsRead},
			[]auth.Permission{auth.PermInboundsWrite, auth.PermClientsWrite, auth.PermXrayRestart, auth.PermSettingsWrite, auth.PermTokensManage, auth.PermDBBackup}},
		{auth.RoleReseller, []auth.Permission{auth.PermClientsRead, auth.PermClientsWrite},
			[]auth.Permission{auth.PermClientsReset, auth.PermInboundsWrite, auth.PermSettingsRead, auth.PermAdminsManage}},
	}
	for _, c := range cases {
		for _, p := range c.has {
			if !c.role.Has(p) {
				t.Errorf("%s lacks %s", c.role, p)
			}
		}
		for _, p := range c.lack {
			if c.role.Has(p) {
				t.Errorf("%s has %s", c.role, p)
			}
		}
	}
	if auth.RoleAdmin.Covers(auth.RoleOwner) || auth.RoleOwner.Covers(auth.RoleReseller) || !auth.RoleReseller.Covers(auth.RoleReseller) {
		t.Fatal("Covers: an admin must not hand out owner tokens; reseller tokens are a reseller's own")
	}
	if !auth.RoleAdmin.Covers(auth.RoleViewer) || auth.RoleViewer.Covers(auth.RoleOperator) {
		t.Fatal("Covers: an admin may hand out viewer, a viewer not operator")
	}
}
