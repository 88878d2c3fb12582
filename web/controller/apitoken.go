package controller

import (
	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
	"net/http"
)

// APITokenController lists, creates and revokes API tokens.
type APITokenController struct {
	Tokens *auth.Tokens
}

func (a *APITokenController) register(g *gin.RouterGroup) {
	g.GET("apiTokens", a.list)
	g.POST("apiTokens", a.create)
	g.POST("apiTokens/create", a.create)
	manage := middleware.SessionOnly("revoke API tokens")
	g.POST("apiTokens/revoke/:id", manage, a.revoke)
	g.DELETE("apiTokens/:id", manage, a.revoke)
}

func (a *APITokenController) list(c *gin.Context) {
	tokens, err := a.Tokens.List()
	if err != nil {
		fail(c, err)
		return
	}
	if tokens == nil {
		tokens = []model.APIToken{}
	}
	ok(c, tokens)
}

// CreatedToken is the obj of a token creation: the only time the token is shown.
type CreatedToken struct {
	Token string          `json:"token"`
	Info  *model.APIToken `json:"info"`
}

func (a *APITokenController) create(c *gin.Context) {
	var form struct {
		Name          string `json:"name" form:"name"`
		ExpiresInDays int    `json:"expiresInDays" form:"expiresInDays"`
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
	token, rec, err := a.Tokens.CreateExpiring(middleware.UserID(c), form.Name, form.ExpiresInDays)
	if err != nil {
		fail(c, err)
		return
	}
	okMsg(c, "API token created; copy it now, it is not shown again", CreatedToken{Token: token, Info: rec})
}

func (a *APITokenController) revoke(c *gin.Context) {
	id, err := intParam(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if err := a.Tokens.Revoke(id); err != nil {
		fail(c, err)
		return
	}
	okMsg(c, "API token revoked", nil)
}
