package auth

import (
	"sort"

	"github.com/mhsanaei/3x-ui/v2/errs"
)

// Role is what an administrator (or an API token) may do.
type Role string

// The roles, from most to least powerful (a reseller is beside the ladder:
// it manages its own clients only).
const (
	RoleOwner    Role = "owner"    // everything
	RoleAdmin    Role = "admin"    // everything but admins and panel/DB settings
	RoleOperator Role = "operator" // inbounds and clients
	RoleViewer   Role = "viewer"   // read-only
	RoleReseller Role = "reseller" // its own clients, within an allowance
)

// AllRoles lists every role, most powerful first.
func AllRoles() []Role { return []Role{RoleOwner, RoleAdmin, RoleOperator, RoleViewer, RoleReseller} }

// Permission names one kind of action; every API route needs exactly one
// (see web/middleware/permissions.go).
type Permission string

// The permissions. A route is mapped to the one it needs; a role is the
// set of permissions it grants.
const (
	PermPanel          Permission = "panel.use"         // own account: me, 2FA, password, csrf-token, node info
	PermInboundsRead   Permission = "inbounds.read"     // inbound lists and details
	PermInboundsWrite  Permission = "inbounds.write"    // add, change, delete inbounds; inbound-wide resets
	PermClientsRead    Permission = "clients.read"      // client lists, traffic, IPs, online
	PermClientsWrite   Permission = "clients.write"     // add, change, delete clients
	PermClientsReset   Permission = "clients.reset"     // reset a client's traffic counters
	PermServerStatus   Permission = "server.status"     // host and Xray status
	PermLogsRead       Permission = "logs.read"         // Xray and panel logs
	PermXrayRestart    Permission = "xray.restart"      // restart or stop Xray
	PermXrayConfigRead Permission = "xray.config.read"  // Xray template and generated config
	PermXrayConfigEdit Permission = "xray.config.write" // change the Xray template
	PermSettingsRead   Permission = "settings.read"     // panel settings
	PermSettingsWrite  Permission = "settings.write"    // panel settings, panel restart
	PermDBBackup       Permission = "db.backup"         // download the database
	PermDBImport       Permission = "db.import"         // replace the database
	PermNodesRead      Permission = "nodes.read"        // cluster nodes
	PermNotifyRead     Permission = "notify.read"       // webhooks, deliveries, events
	PermNotifyWrite    Permission = "notify.write"      // change webhooks, send tests
	PermTokensManage   Permission = "tokens.manage"     // own API tokens
	PermAdminsManage   Permission = "admins.manage"     // other administrators, every token
	PermAuditRead      Permission = "audit.read"        // the audit log
)

// AllPermissions lists every permission (the owner's set).
func AllPermissions() []Permission {
	return []Permission{
		PermPanel, PermInboundsRead, PermInboundsWrite, PermClientsRead, PermClientsWrite, PermClientsReset,
		PermServerStatus, PermLogsRead, PermXrayRestart, PermXrayConfigRead, PermXrayConfigEdit,
		PermSettingsRead, PermSettingsWrite, PermDBBackup, PermDBImport, PermNodesRead,
		PermNotifyRead, PermNotifyWrite, PermTokensManage, PermAdminsManage, PermAuditRead,
	}
}

// rolePermissions answers the permissions of r (nil for an unknown role,
// which therefore may do nothing).
func rolePermissions(r Role) []Permission {
	switch r {
	case RoleOwner:
		return AllPermissions()
	case RoleAdmin:
		return without(AllPermissions(), PermAdminsManage, PermSettingsWrite, PermDBBackup, PermDBImport)
	case RoleOperator:
		return []Permission{PermPanel, PermInboundsRead, PermInboundsWrite, PermClientsRead, PermClientsWrite,
			PermClientsReset, PermServerStatus, PermNodesRead, PermTokensManage}
	case RoleViewer:
		return []Permission{PermPanel, PermInboundsRead, PermClientsRead, PermServerStatus, PermLogsRead,
			PermXrayConfigRead, PermSettingsRead, PermNodesRead, PermNotifyRead}
	case RoleReseller:
		// Reads and writes are narrowed to the reseller's own clients by
		// the routes (inbound.Scope); resetting traffic would lift its
		// allowance, so it has no clients.reset.
		return []Permission{PermPanel, PermInboundsRead, PermClientsRead, PermClientsWrite, PermTokensManage}
	}
	return nil
}

func without(all []Permission, drop ...Permission) []Permission {
	out := make([]Permission, 0, len(all))
	for _, p := range all {
		keep := true
		for _, d := range drop {
			keep = keep && p != d
		}
		if keep {
			out = append(out, p)
		}
	}
	return out
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return rolePermissions(r) != nil }

// Has reports whether role r grants p.
func (r Role) Has(p Permission) bool {
	for _, q := range rolePermissions(r) {
		if q == p {
			return true
		}
	}
	return false
}

// Covers reports whether r grants every permission of other, so a user of
// role r may hand other to a token or (an owner) to another admin.
func (r Role) Covers(other Role) bool {
	if r == RoleReseller || other == RoleReseller {
		// A reseller's permissions mean "its own clients only", which
		// means nothing for another user: only a reseller's token is one.
		return r == other
	}
	for _, p := range rolePermissions(other) {
		if !r.Has(p) {
			return false
		}
	}
	return other.Valid()
}

// ParseRole validates a role name from a request, naming field on error.
func ParseRole(field, s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", errs.Invalid(field, "must be one of owner, admin, operator, viewer, reseller, got %q", s)
	}
	return r, nil
}

// Scope kinds of an API token: none, or one inbound. A group scope (a
// named set of clients) is meant to be a further kind with its id in the
// same ScopeID column.
const (
	ScopeNone    = ""
	ScopeInbound = "inbound"
)

// Principal is who a request acts as: the logged-in user, or the user
// behind an API token with the token's role and scope.
type Principal struct {
	UserID   int    `json:"userId"`
	Username string `json:"username"`
	// Role is the effective role: the user's, or for a token the token's
	// role (never above the user's, see EffectiveRole).
	Role    Role `json:"role"`
	TokenID int  `json:"tokenId,omitempty"`
	// ScopeKind/ScopeID narrow a token to one inbound (ScopeInbound).
	ScopeKind string `json:"scopeKind,omitempty"`
	ScopeID   int    `json:"scopeId,omitempty"`
	// Reseller allowance (role reseller only).
	MaxClients      int   `json:"maxClients,omitempty"`
	MaxTrafficBytes int64 `json:"maxTrafficBytes,omitempty"`
}

// Can reports whether the principal holds p.
func (p *Principal) Can(perm Permission) bool { return p != nil && p.Role.Has(perm) }

// Permissions lists what the principal may do, sorted.
func (p *Principal) Permissions() []string {
	out := []string{}
	if p == nil {
		return out
	}
	for _, perm := range rolePermissions(p.Role) {
		out = append(out, string(perm))
	}
	sort.Strings(out)
	return out
}

// IsReseller reports whether reads and writes must be narrowed to the
// principal's own clients.
func (p *Principal) IsReseller() bool { return p != nil && p.Role == RoleReseller }

// InboundScope is the one inbound a scoped token may touch (0: any).
func (p *Principal) InboundScope() int {
	if p != nil && p.ScopeKind == ScopeInbound {
		return p.ScopeID
	}
	return 0
}

// EffectiveRole is the role a token acts with: its own, unless the user
// who made it has since been given less, in which case the user's (a
// demoted admin's tokens lose what the admin lost). An empty or unknown
// token role counts as the user's role. A token and user of which one is
// a reseller and the other not act with no role at all (every route
// refused): UpdateAdmin deletes such tokens, so only stray rows get here.
func EffectiveRole(user, token Role) Role {
	if !token.Valid() {
		return user
	}
	if user.Covers(token) {
		return token
	}
	if user == RoleReseller || token == RoleReseller {
		return ""
	}
	return user
}
