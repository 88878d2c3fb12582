package controller

import (
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// TwoFactorController turns TOTP login on and off for the logged-in user.
type TwoFactorController struct {
	TwoFactor *auth.TwoFactor
	// Secrets limits wrong codes per session (enable and disable).
	Secrets *middleware.LoginLimiter
}

type twoFactorCodeForm struct {
	Code string `json:"code" form:"code"`
}

func (a *TwoFactorController) register(g *gin.RouterGroup) {
	g.GET("twoFactor/status", a.status)
	g.POST("twoFactor/status", a.status)
	// A token that could enrol its own secret would lock the owner out.
	manage := middleware.SessionOnly("manage two-factor login")
	g.POST("twoFactor/setup", manage, a.setup)
	g.POST("twoFactor/enable", manage, a.enable)
	g.POST("twoFactor/disable", manage, a.disable)
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
	if _, err := auth.CheckCodeFormat(form.Code); err != nil {
		fail(c, err) // a typo is not a guess
		return
	}
	key, allowed := takeSecretTry(c, a.Secrets, "code")
	if !allowed {
		return
	}
	if err := a.TwoFactor.EnableAs(middleware.Actor(c), middleware.UserID(c), form.Code); err != nil {
		if !wrongCode(err) {
			a.Secrets.Give(key) // only a wrong code counts
		}
		fail(c, err)
		return
	}
	a.Secrets.Give(key)
	okMsg(c, "two-factor login enabled", nil)
}

func (a *TwoFactorController) disable(c *gin.Context) {
	var form twoFactorCodeForm
	if err := bind(c, &form); err != nil {
		fail(c, err)
		return
	}
	if _, err := auth.CheckCodeFormat(form.Code); err != nil {
		fail(c, err) // a typo is not a guess
		return
	}
	key, allowed := takeSecretTry(c, a.Secrets, "code")
	if !allowed {
		return
	}
	if err := a.TwoFactor.DisableAs(middleware.Actor(c), middleware.UserID(c), form.Code); err != nil {
		if !wrongCode(err) {
			a.Secrets.Give(key) // only a wrong code counts
		}
		fail(c, err)
		return
	}
	a.Secrets.Give(key)
	okMsg(c, "two-factor login disabled", nil)
}

// takeSecretTry reserves one attempt at a secret for this session before
// it is checked; when the session used up its attempts it answers 429
// naming field and returns false. The caller gives the attempt back
// (Secrets.Give) when the secret was right.
func takeSecretTry(c *gin.Context, secrets *middleware.LoginLimiter, field string) (string, bool) {
	key := middleware.SecretKey(c) + "\x00" + field
	allowed, wait := secrets.Take(key)
	if !allowed {
		secs := int(math.Ceil(wait.Seconds()))
		c.Header("Retry-After", fmt.Sprint(secs))
		failStatus(c, http.StatusTooManyRequests,
			fmt.Sprintf("%s: too many wrong attempts in this session; try again in %d seconds", field, secs))
		return "", false
	}
	return key, true
}

// wrongCode reports whether err refuses the code itself.
func wrongCode(err error) bool {
	var e *errs.Error
	return errors.As(err, &e) && e.Kind == errs.KindInvalid && e.Field == "code"
}
