package auth

import (
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// A token never acts above its user: a demoted user's owner token acts
// with the user's new role, and a v3 row's unknown role means the user's.
func TestEffectiveRole(t *testing.T) {
	cases := []struct{ user, token, want Role }{
		{RoleOwner, RoleOwner, RoleOwner},
		{RoleOwner, RoleViewer, RoleViewer},
		{RoleAdmin, RoleOwner, RoleAdmin},
		{RoleOperator, RoleAdmin, RoleOperator},
		{RoleViewer, RoleOperator, RoleViewer},
		{RoleAdmin, "", RoleAdmin},
		{RoleReseller, RoleOwner, ""},
		{RoleAdmin, RoleReseller, ""},
		{RoleReseller, RoleReseller, RoleReseller},
	}
	for _, c := range cases {
		if got := EffectiveRole(c.user, c.token); got != c.want {
			t.Errorf("EffectiveRole(%s, %q) = %s, want %s", c.user, c.token, got, c.want)
		}
	}
	p := TokenPrincipal(&model.User{Id: 3, Username: "r", Role: "reseller", MaxClients: 2, MaxTrafficBytes: 9},
		&model.APIToken{Id: 7, Role: "reseller", ScopeKind: ScopeInbound, ScopeID: 4})
	if p.Role != RoleReseller || p.TokenID != 7 || p.InboundScope() != 4 || p.MaxClients != 2 || !p.IsReseller() {
		t.Fatalf("token principal: %+v", p)
	}
}

func TestParseRoleNamesTheField(t *testing.T) {
	if _, err := ParseRole("role", "root"); err == nil || err.Error()[:5] != "role:" {
		t.Fatalf("ParseRole(root): %v", err)
	}
	for _, r := range AllRoles() {
		if got, err := ParseRole("role", string(r)); err != nil || got != r {
			t.Fatalf("ParseRole(%s): %v", r, err)
		}
	}
	var nobody *Principal
	if nobody.Can(PermPanel) || len(nobody.Permissions()) != 0 {
		t.Fatal("a nil principal may do something")
	}
}
