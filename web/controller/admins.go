package controller

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// AdminsController manages administrators (owner only, by the permission
// table) and answers who the caller is (every role).
type AdminsController struct {
	Users *auth.Users
}

func (a *AdminsController) register(api *gin.RouterGroup) {
	api.GET("me", a.me)
	g := api.Group("admins")
	g.GET("list", a.list)
	// A token must not be able to mint or unlock accounts.
	manage := middleware.SessionOnly("manage administrators")
	g.POST("add", manage, a.add)
	g.POST("update/:id", manage, a.update)
	g.POST("del/:id", manage, a.del)
	g.POST("resetPassword/:id", manage, a.resetPassword)
}

// Me is the obj of GET panel/api/me: the principal and its permissions,
// read once by the UI to hide what the role may not do.
type Me struct {
	auth.Principal
	Permissions []string    `json:"permissions"`
	Roles       []auth.Role `json:"roles"`
}

func (a *AdminsController) me(c *gin.Context) {
	p := middleware.PrincipalOf(c)
	if p == nil {
		failStatus(c, http.StatusForbidden, "permission panel.use required: no role")
		return
	}
	ok(c, Me{Principal: *p, Permissions: p.Permissions(), Roles: auth.AllRoles()})
}

func (a *AdminsController) list(c *gin.Context) {
	admins, err := a.Users.ListAdmins()
	replyObj(c, admins, err)
}

func (a *AdminsController) add(c *gin.Context) {
	var f auth.AdminForm
	if err := bind(c, &f); err != nil {
		fail(c, err)
		return
	}
	v, err := a.Users.As(middleware.Actor(c)).AddAdmin(f)
	reply(c, err, "admin added", v)
}

func (a *AdminsController) update(c *gin.Context) {
	with(c, idParam, func(id int) {
		var f auth.AdminForm
		if err := bind(c, &f); err != nil {
			fail(c, err)
			return
		}
		v, err := a.Users.As(middleware.Actor(c)).UpdateAdmin(id, f)
		reply(c, err, "admin updated", v)
	})
}

func (a *AdminsController) del(c *gin.Context) {
	with(c, idParam, func(id int) {
		reply(c, a.Users.As(middleware.Actor(c)).DeleteAdmin(middleware.UserID(c), id), "admin deleted", nil)
	})
}

func (a *AdminsController) resetPassword(c *gin.Context) {
	with(c, idParam, func(id int) {
		var f struct {
			Password string `json:"password" form:"password"`
		}
		if err := bind(c, &f); err != nil {
			fail(c, err)
			return
		}
		if id == middleware.UserID(c) {
			failStatus(c, http.StatusBadRequest, "id: change your own password in settings (it asks for the current one)")
			return
		}
		reply(c, a.Users.As(middleware.Actor(c)).ResetPassword(id, f.Password), "password reset; the admin's sessions and API tokens are ended", nil)
	})
}
