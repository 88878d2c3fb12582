package controller

import (
	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
	"net/http"
)

// APITokenController lists, creates, switches and revokes API tokens, on
// the project's routes and on 3x-ui v3's (delete/:id, setEnabled/:id).
type APITokenController struct {
	Tokens *auth.Tokens
}

func (a *APITokenController) register(g *gin.RouterGroup) {
	g.GET("apiTokens", a.list)
	g.POST("apiTokens", a.create)
	g.POST("apiTokens/create", a.create)
	manage := middleware.SessionOnly("revoke API tokens")
	g.POST("apiTokens/revoke/:id", manage, a.revoke)
	g.POST("apiTokens/delete/:id", manage, a.revoke)
	g.DELETE("apiTokens/:id", manage, a.revoke)
	g.POST("apiTokens/setEnabled/:id", middleware.SessionOnly("switch API tokens on or off"), a.setEnabled)
}

// allTokens reports whether the caller manages every token (an owner) or
// only its own.
func allTokens(c *gin.Context) bool {
	return middleware.PrincipalOf(c).Can(auth.PermAdminsManage)
}

// mineOr403 refuses a change to another user's token unless the caller
// manages every token.
func (a *APITokenController) mineOr403(c *gin.Context, id int) bool {
	if allTokens(c) {
		return true
	}
	mine, err := a.Tokens.OwnedBy(id, middleware.UserID(c))
	if err != nil {
		fail(c, err)
		return false
	}
	if !mine {
		failStatus(c, http.StatusForbidden, "permission admins.manage required to change another admin's API token")
		return false
	}
	return true
}

func (a *APITokenController) list(c *gin.Context) {
	who := middleware.UserID(c)
	if allTokens(c) {
		who = 0
	}
	tokens, err := a.Tokens.ListFor(who)
	if err != nil {
		fail(c, err)
		return
	}
	if tokens == nil {
		tokens = []model.APIToken{}
	}
	ok(c, tokens)
}

// CreatedToken is the obj of a token creation: the only time the token is
// shown. The top-level keys are 3x-ui v3's; info is the project's record.
type CreatedToken struct {
	ID        int             `json:"id"`
	Name      string          `json:"name"`
	Token     string          `json:"token"`
	Enabled   bool            `json:"enabled"`
	CreatedAt int64           `json:"createdAt"`
	Info      *model.APIToken `json:"info"`
}

func (a *APITokenController) create(c *gin.Context) {
	var form struct {
		Name          string `json:"name" form:"name"`
		ExpiresInDays int    `json:"expiresInDays" form:"expiresInDays"`
		Role          string `json:"role" form:"role"`
		ScopeKind     string `json:"scopeKind" form:"scopeKind"`
		ScopeID       int    `json:"scopeId" form:"scopeId"`
	}
	if err := bind(c, &form); err != nil {
		fail(c, err)
		return
	}
	if c.GetString(middleware.KeyAuthKind) == middleware.AuthToken {
		// A leaked token must not be able to outlive its own revocation.
		failStatus(c, http.StatusForbidden, "API tokens cannot create API tokens; log in to create one")
		return
	}
	token, rec, err := a.Tokens.As(middleware.Actor(c)).CreateScoped(auth.TokenSpec{
		UserID: middleware.UserID(c), UserRole: middleware.PrincipalOf(c).Role, Name: form.Name,
		Days: form.ExpiresInDays, Role: form.Role, ScopeKind: form.ScopeKind, ScopeID: form.ScopeID})
	if err != nil {
		fail(c, err)
		return
	}
	okMsg(c, "API token created; copy it now, it is not shown again", CreatedToken{
		ID: rec.Id, Name: rec.Name, Token: token, Enabled: rec.Enabled, CreatedAt: rec.CreatedAt, Info: rec})
}

func (a *APITokenController) revoke(c *gin.Context) {
	id, err := intParam(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if !a.mineOr403(c, id) {
		return
	}
	if err := a.Tokens.As(middleware.Actor(c)).Revoke(id); err != nil {
		fail(c, err)
		return
	}
	okMsg(c, "API token revoked", nil)
}

func (a *APITokenController) setEnabled(c *gin.Context) {
	id, err := intParam(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var form struct {
		Enabled *bool `json:"enabled" form:"enabled"`
	}
	if err := bind(c, &form); err != nil {
		fail(c, err)
		return
	}
	if !a.mineOr403(c, id) {
		return
	}
	if form.Enabled == nil {
		failStatus(c, http.StatusBadRequest, "enabled: is required (true or false)")
		return
	}
	if err := a.Tokens.As(middleware.Actor(c)).SetEnabled(id, *form.Enabled); err != nil {
		fail(c, err)
		return
	}
	msg := "API token disabled"
	if *form.Enabled {
		msg = "API token enabled"
	}
	okMsg(c, msg, nil)
}
