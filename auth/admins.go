package auth

import (
	"fmt"
	"github.com/mhsanaei/3x-ui/v2/audit"
	"strconv"
	"strings"
	"unicode"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AdminView is one administrator as the admins API lists it (no secrets).
type AdminView struct {
	ID              int    `json:"id"`
	Username        string `json:"username"`
	Role            Role   `json:"role"`
	MaxClients      int    `json:"maxClients"`
	MaxTrafficBytes int64  `json:"maxTrafficBytes"`
	TwoFactor       bool   `json:"twoFactor"`
}

// AdminForm is what adding or changing an administrator takes. On update
// an empty Username keeps the name and Password is ignored (ResetPassword).
type AdminForm struct {
	Username        string `json:"username" form:"username"`
	Password        string `json:"password" form:"password"`
	Role            string `json:"role" form:"role"`
	MaxClients      int    `json:"maxClients" form:"maxClients"`
	MaxTrafficBytes int64  `json:"maxTrafficBytes" form:"maxTrafficBytes"`
}

// MaxResellerClients bounds a reseller's client allowance.
const MaxResellerClients = 1_000_000

func (f *AdminForm) check(requirePassword bool) (Role, error) {
	role, err := ParseRole("role", f.Role)
	if err != nil {
		return "", err
	}
	if f.Username != "" || requirePassword {
		if err := checkUsername("username", f.Username); err != nil {
			return "", err
		}
	}
	if requirePassword {
		if err := checkPassword("password", f.Password); err != nil {
			return "", err
		}
	}
	if f.MaxClients < 0 || f.MaxClients > MaxResellerClients {
		return "", errs.Invalid("maxClients", "must be 0 to %d, got %d", MaxResellerClients, f.MaxClients)
	}
	if f.MaxTrafficBytes < 0 {
		return "", errs.Invalid("maxTrafficBytes", "must be 0 or more bytes, got %d", f.MaxTrafficBytes)
	}
	if role != RoleReseller && (f.MaxClients != 0 || f.MaxTrafficBytes != 0) {
		return "", errs.Invalid("maxClients", "an allowance is for the reseller role only; role is %s", role)
	}
	return role, nil
}

func checkUsername(field, username string) error {
	if username == "" || strings.TrimSpace(username) != username || len(username) > 64 || strings.IndexFunc(username, unicode.IsControl) >= 0 {
		return errs.Invalid(field, "must be 1-64 characters without surrounding spaces")
	}
	return nil
}

func checkPassword(field, password string) error {
	if len(password) < MinPasswordLength || len(password) > 72 {
		// bcrypt only reads the first 72 bytes; longer would silently truncate.
		return errs.Invalid(field, "must be %d-72 bytes", MinPasswordLength)
	}
	return nil
}

// Get loads one user (the authenticator reads its role on every request).
func (s *Users) Get(id int) (*model.User, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var users []model.User
	if err := conn.Where("id = ?", id).Limit(1).Find(&users).Error; err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, errs.NotFound("id", "user %d does not exist", id)
	}
	return &users[0], nil
}

// ListAdmins lists every administrator, oldest first.
func (s *Users) ListAdmins() ([]AdminView, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var users []model.User
	if err := conn.Order("id").Find(&users).Error; err != nil {
		return nil, err
	}
	out := make([]AdminView, len(users))
	for i, u := range users {
		out[i] = viewOf(&u)
	}
	return out, nil
}

func viewOf(u *model.User) AdminView {
	return AdminView{ID: u.Id, Username: u.Username, Role: Role(u.Role), MaxClients: u.MaxClients,
		MaxTrafficBytes: u.MaxTrafficBytes, TwoFactor: u.TwoFactorSecret != ""}
}

// AddAdmin creates an administrator with its role and allowance.
func (s *Users) AddAdmin(f AdminForm) (*AdminView, error) {
	if err := s.node.RequireMaster(); err != nil {
		return nil, err
	}
	role, err := f.check(true)
	if err != nil {
		return nil, err
	}
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	if err := usernameFree(conn, f.Username, 0); err != nil {
		return nil, err
	}
	hash, err := database.HashPassword(f.Password)
	if err != nil {
		return nil, err
	}
	u := &model.User{Username: f.Username, Password: hash, Role: string(role),
		MaxClients: f.MaxClients, MaxTrafficBytes: f.MaxTrafficBytes}
	e := audit.Entry{Action: "admin.add", TargetKind: "user"}
	err = audit.Tx(conn, s.node.Config().NodeID, s.actor, e, func(tx *gorm.DB, e *audit.Entry) error {
		if err := usernameFree(tx, f.Username, 0); err != nil {
			return err
		}
		u.Id = 0 // a retried attempt must not reuse a rolled-back id
		if err := tx.Create(u).Error; err != nil {
			return err
		}
		e.TargetID = strconv.Itoa(u.Id)
		e.Changes = []audit.Change{audit.Set("username", u.Username), audit.Set("role", u.Role),
			audit.Set("maxClients", u.MaxClients), audit.Set("maxTrafficBytes", u.MaxTrafficBytes),
			{Field: "password", After: audit.Masked}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	v := viewOf(u)
	return &v, nil
}

func usernameFree(conn *gorm.DB, username string, except int) error {
	var count int64
	if err := conn.Model(&model.User{}).Where("username = ? AND id <> ?", username, except).Count(&count).Error; err != nil {
		return err
	}
	if count > 0 {
		return errs.Conflict("username", "%q is already taken", username)
	}
	return nil
}

// lockedAdmin loads user id for update, and the number of other owners
// (locked too), so two owners demoting each other at once cannot both
// succeed and leave none.
func lockedAdmin(tx *gorm.DB, id int) (*model.User, int64, error) {
	var users []model.User
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Limit(1).Find(&users).Error; err != nil {
		return nil, 0, err
	}
	if len(users) == 0 {
		return nil, 0, errs.NotFound("id", "admin %d does not exist", id)
	}
	var owners []model.User
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id").
		Where("role = ? AND id <> ?", string(RoleOwner), id).Find(&owners).Error; err != nil {
		return nil, 0, err
	}
	return &users[0], int64(len(owners)), nil
}

// UpdateAdmin changes an administrator's role, allowance and (when given)
// username. The last owner keeps the owner role: without one nobody could
// manage admins or panel settings again.
func (s *Users) UpdateAdmin(id int, f AdminForm) (*AdminView, error) {
	if err := s.node.RequireMaster(); err != nil {
		return nil, err
	}
	role, err := f.check(false)
	if err != nil {
		return nil, err
	}
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var out AdminView
	e := audit.Entry{Action: "admin.update", TargetKind: "user", TargetID: strconv.Itoa(id)}
	err = audit.Tx(conn, s.node.Config().NodeID, s.actor, e, func(tx *gorm.DB, e *audit.Entry) error {
		u, others, err := lockedAdmin(tx, id)
		if err != nil {
			return err
		}
		if Role(u.Role) == RoleOwner && role != RoleOwner && others == 0 {
			return forbidden("role", "admin %q is the last owner; make another owner first", u.Username)
		}
		set := map[string]any{"role": string(role), "max_clients": f.MaxClients, "max_traffic_bytes": f.MaxTrafficBytes}
		if f.Username != "" && f.Username != u.Username {
			if err := usernameFree(tx, f.Username, id); err != nil {
				return err
			}
			set["username"] = f.Username
			set["default_credential"] = false
		}
		if err := tx.Model(&model.User{}).Where("id = ?", id).Updates(set).Error; err != nil {
			return err
		}
		if role != Role(u.Role) {
			// Tokens never act above their user (EffectiveRole); a lower
			// role also lowers the tokens stored with a higher one, so the
			// list shows what they can do.
			if err := capTokenRoles(tx, id, role); err != nil {
				return err
			}
		}
		before := *u
		if err := tx.Where("id = ?", id).First(u).Error; err != nil {
			return err
		}
		for _, c := range []*audit.Change{audit.Value("username", before.Username, u.Username),
			audit.Value("role", before.Role, u.Role), audit.Value("maxClients", before.MaxClients, u.MaxClients),
			audit.Value("maxTrafficBytes", before.MaxTrafficBytes, u.MaxTrafficBytes)} {
			if c != nil {
				e.Changes = append(e.Changes, *c)
			}
		}
		out = viewOf(u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func capTokenRoles(tx *gorm.DB, userID int, role Role) error {
	var tokens []model.APIToken
	if err := tx.Select("id", "role").Where("user_id = ?", userID).Find(&tokens).Error; err != nil {
		return err
	}
	for _, t := range tokens {
		if role.Covers(Role(t.Role)) {
			continue
		}
		if role == RoleReseller || Role(t.Role) == RoleReseller {
			// Into or out of reseller: the token's scope of clients means
			// something else now; it goes.
			if err := tx.Delete(&model.APIToken{}, t.Id).Error; err != nil {
				return err
			}
			continue
		}
		if err := tx.Model(&model.APIToken{}).Where("id = ?", t.Id).Update("role", string(role)).Error; err != nil {
			return err
		}
	}
	return nil
}

// DeleteAdmin removes an administrator with its API tokens and its
// ownership of clients (the clients stay; owners and admins see them).
// actor cannot delete itself, and the last owner cannot be deleted.
func (s *Users) DeleteAdmin(actor, id int) error {
	if err := s.node.RequireMaster(); err != nil {
		return err
	}
	if actor == id {
		return forbidden("id", "you cannot delete your own account; another owner can")
	}
	conn, err := s.db.DB()
	if err != nil {
		return err
	}
	e := audit.Entry{Action: "admin.delete", TargetKind: "user", TargetID: strconv.Itoa(id)}
	return audit.Tx(conn, s.node.Config().NodeID, s.actor, e, func(tx *gorm.DB, e *audit.Entry) error {
		u, others, err := lockedAdmin(tx, id)
		if err != nil {
			return err
		}
		if Role(u.Role) == RoleOwner && others == 0 {
			return forbidden("id", "admin %q is the last owner and cannot be deleted", u.Username)
		}
		e.Changes = []audit.Change{audit.Unset("username", u.Username), audit.Unset("role", u.Role)}
		if err := tx.Where("user_id = ?", id).Delete(&model.APIToken{}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", id).Delete(&model.ClientOwner{}).Error; err != nil {
			return err
		}
		return tx.Delete(&model.User{}, id).Error
	})
}

// ResetPassword sets another administrator's password; its sessions end
// (the session credential includes the hash) and its API tokens go, as
// with UpdateUser.
func (s *Users) ResetPassword(id int, password string) error {
	if err := s.node.RequireMaster(); err != nil {
		return err
	}
	if err := checkPassword("password", password); err != nil {
		return err
	}
	conn, err := s.db.DB()
	if err != nil {
		return err
	}
	hash, err := database.HashPassword(password)
	if err != nil {
		return err
	}
	e := audit.Entry{Action: "admin.resetPassword", TargetKind: "user", TargetID: strconv.Itoa(id),
		Changes: []audit.Change{{Field: "password", Before: audit.Masked, After: audit.Masked}}}
	return audit.Tx(conn, s.node.Config().NodeID, s.actor, e, func(tx *gorm.DB, _ *audit.Entry) error {
		res := tx.Model(&model.User{}).Where("id = ?", id).Updates(map[string]any{
			"password": hash, "default_credential": false, "session_epoch": gorm.Expr("session_epoch + 1")})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.NotFound("id", "admin %d does not exist", id)
		}
		return tx.Where("user_id = ?", id).Delete(&model.APIToken{}).Error
	})
}

// PrincipalOf builds the principal of user u acting directly (a session).
func PrincipalOf(u *model.User) Principal {
	p := Principal{UserID: u.Id, Username: u.Username, Role: Role(u.Role)}
	if p.Role == RoleReseller {
		p.MaxClients, p.MaxTrafficBytes = u.MaxClients, u.MaxTrafficBytes
	}
	return p
}

// TokenPrincipal is u acting through token t: the token's role capped by
// the user's, and the token's scope.
func TokenPrincipal(u *model.User, t *model.APIToken) Principal {
	p := PrincipalOf(u)
	p.Role = EffectiveRole(Role(u.Role), Role(t.Role))
	p.TokenID = t.Id
	p.ScopeKind, p.ScopeID = t.ScopeKind, t.ScopeID
	return p
}

// forbidden is a 403 that names the field (errs.Forbidden names none).
func forbidden(field, format string, args ...any) error {
	return &errs.Error{Kind: errs.KindForbidden, Field: field, Msg: fmt.Sprintf(format, args...)}
}
