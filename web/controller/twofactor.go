package controller

import (
	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// TwoFactorController turns TOTP login on and off for the logged-in user.
type TwoFactorController struct {
	TwoFactor *auth.TwoFactorService
}

type twoFactorCodeForm struct {
	Code string `json:"code" form:"code"`
}

func (a *TwoFactorController) register(g *gin.RouterGroup) {
	g.GET("twoFactor/status", a.status)
	g.POST("twoFactor/status", a.status)
	g.POST("twoFactor/setup", a.setup)
	g.POST("twoFactor/enable", a.enable)
	g.POST("twoFactor/disable", a.disable)
}

func (a *TwoFactorController) status(c *gin.Context) {
	on, err := a.TwoFactor.Enabled(middleware.UserID(c))
	if err != nil {
		fail(c, err)
		return
	}
	ok(c, gin.H{"enabled": on})
}

// setup answers a new secret and its otpauth:// URL; nothing is stored
// until enable confirms a code for it.
func (a *TwoFactorController) setup(c *gin.Context) {
	res, err := a.TwoFactor.Setup(middleware.UserID(c))
	if err != nil {
		fail(c, err)
		return
	}
	okMsg(c, "scan the secret into an authenticator app, then call twoFactor/enable with a code", res)
}

func (a *TwoFactorController) enable(c *gin.Context) {
	var form twoFactorCodeForm
	if err := bind(c, &form); err != nil {
		fail(c, err)
		return
	}
	if err := a.TwoFactor.Enable(middleware.UserID(c), form.Code); err != nil {
		fail(c, err)
		return
	}
	okMsg(c, "two-factor login enabled", nil)
}

func (a *TwoFactorController) disable(c *gin.Context) {
	var form twoFactorCodeForm
	if err := bind(c, &form); err != nil {
		fail(c, err)
		return
	}
	if err := a.TwoFactor.Disable(middleware.UserID(c), form.Code); err != nil {
		fail(c, err)
		return
	}
	okMsg(c, "two-factor login disabled", nil)
}
