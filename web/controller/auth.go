package controller

import (
	"errors"
	"fmt"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"log"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
	"github.com/mhsanaei/3x-ui/v2/web/session"
)

// LoginUsers is what login needs from auth.Users.
type LoginUsers interface {
	CheckUser(username, password string) (*model.User, error)
	EndSessions(userID int) error
	UseTOTPStep(userID int, step int64) (bool, error)
	TwoFactorEnabled() (bool, error)
}

// AuthController serves login and logout.
type AuthController struct {
	Users    LoginUsers
	Sessions *session.Manager
	Limiter  *middleware.LoginLimiter
	// Passwords caps concurrent password checks (shared with the settings'
	// old-password check).
	Passwords *middleware.PasswordSlots
	BasePath  string
	// Events records failed logins and logins from a new address (nil:
	// none recorded).
	Events *notify.Recorder
	// Now is the clock for TOTP; nil means time.Now.
	Now func() time.Time
}

type loginForm struct {
	Username      string `json:"username" form:"username"`
	Password      string `json:"password" form:"password"`
	TwoFactorCode string `json:"twoFactorCode" form:"twoFactorCode"`
	// CSRF is 3x-ui v3's form field for the token; the header wins.
	CSRF string `json:"_csrf" form:"_csrf"`
}

// LoginResult is the obj of a successful login.
type LoginResult struct {
	CSRFToken         string `json:"csrfToken"`
	DefaultCredential bool   `json:"defaultCredential"`
	SessionMaxAge     int    `json:"sessionMaxAge"` // minutes
}

func (a *AuthController) register(base *gin.RouterGroup) {
	// Public (3x-ui v3): the token a v3 client sends on POST login.
	base.GET("csrf-token", a.csrfToken)
	base.POST("login", a.login)
	base.GET("logout", a.logout)
	base.POST("logout", a.logout)
	// Public: the login page shows the code field up front when it is on.
	base.POST("getTwoFactorEnable", a.twoFactorEnabled)
	base.GET("getTwoFactorEnable", a.twoFactorEnabled)
}

// twoFactorEnabled answers obj true when login asks for a TOTP code
// (3x-ui's route and shape).
func (a *AuthController) twoFactorEnabled(c *gin.Context) {
	on, err := a.Users.TwoFactorEnabled()
	if err != nil {
		fail(c, err)
		return
	}
	ok(c, on)
}

// csrfToken answers obj = the CSRF token of the caller's session, starting a
// pre-login session when there is none (3x-ui v3's GET csrf-token).
func (a *AuthController) csrfToken(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	token, err := a.Sessions.CSRFToken(c.Writer, c.Request)
	if err != nil {
		fail(c, err)
		return
	}
	ok(c, token)
}

// sessionCSRFToken answers the logged-in session's CSRF token
// (3x-ui v3's GET panel/csrf-token); it runs behind the API guard.
func sessionCSRFToken(c *gin.Context) {
	d, found := c.Get(middleware.KeySession)
	s, isSession := d.(*session.Data)
	if !found || !isSession {
		failStatus(c, http.StatusBadRequest, "API tokens need no CSRF token; only a login session has one")
		return
	}
	ok(c, s.CSRF)
}

// loginCSRF is the CSRF token the new session keeps. A token presented on
// login (3x-ui v3: from GET csrf-token) that matches the caller's session
// cookie carries over, so the client keeps using it. Without one, or with
// one that names no session (the panel's own page sends whatever its
// cookie holds, possibly from an ended session), the session gets a fresh
// token, answered as csrfToken: today's flow. A token that contradicts a
// pre-login session is refused, as v3 refuses it, so a v3 client learns of
// its mistake at login and not at its first write.
func (a *AuthController) loginCSRF(c *gin.Context, form *loginForm) (string, bool) {
	presented := c.GetHeader(session.CSRFHeader)
	if presented == "" {
		presented = form.CSRF
	}
	if presented == "" {
		return "", true
	}
	d, err := a.Sessions.LoadAny(c.Request)
	switch {
	case err != nil:
		return "", true
	case d.CheckCSRF(presented):
		return d.CSRF, true
	case d.UserID == 0:
		failStatus(c, http.StatusForbidden, "login: invalid CSRF token: send the one GET csrf-token answered, with its cookie")
		return "", false
	}
	return "", true
}

func (a *AuthController) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *AuthController) login(c *gin.Context) {
	ip := c.ClientIP()
	var form loginForm
	if err := bind(c, &form); err != nil {
		fail(c, err)
		return
	}
	form.Username = strings.TrimSpace(form.Username)
	switch {
	case form.Username == "":
		failStatus(c, http.StatusBadRequest, "username: is required")
		return
	case form.Password == "":
		failStatus(c, http.StatusBadRequest, "password: is required")
		return
	}
	csrf, csrfOK := a.loginCSRF(c, &form)
	if !csrfOK {
		return
	}
	// Count the attempt before bcrypt (see LoginLimiter.Reserve). A browser
	// that logged in before has its own bucket (docs/security.md).
	attempt := middleware.LoginAttempt{IP: ip, Username: form.Username, Device: a.Sessions.Device(c.Request, form.Username)}
	if allowed, wait := a.Limiter.Reserve(attempt); !allowed {
		secs := int(math.Ceil(wait.Seconds()))
		c.Header("Retry-After", fmt.Sprint(secs))
		failStatus(c, http.StatusTooManyRequests,
			fmt.Sprintf("too many failed login attempts from %s; try again in %d seconds", ip, secs))
		return
	}
	release, ok := a.Passwords.Take(5 * time.Second)
	if !ok {
		c.Header("Retry-After", "5")
		failStatus(c, http.StatusTooManyRequests, "too many logins at once; try again in a few seconds")
		return
	}
	user, err := a.Users.CheckUser(form.Username, form.Password)
	release()
	if err != nil && !errors.Is(err, auth.ErrInvalidCredentials) {
		fail(c, err)
		return
	}
	if err != nil || user == nil {
		// Never log the password, only who tried from where.
		log.Printf("login failed: username %q from %s", form.Username, ip)
		a.loginFailed(form.Username, ip, "password")
		failStatus(c, http.StatusUnauthorized, "wrong username or password")
		return
	}
	if user.TwoFactorSecret != "" {
		code := strings.TrimSpace(form.TwoFactorCode)
		if code == "" {
			a.Limiter.Refund(attempt)
			c.AbortWithStatusJSON(http.StatusUnauthorized, Msg{
				Msg: "twoFactorCode: two-factor code required", Obj: gin.H{"twoFactorRequired": true}})
			return
		}
		step, valid := auth.MatchTOTP(user.TwoFactorSecret, code, a.now())
		if valid {
			fresh, err := a.Users.UseTOTPStep(user.Id, step)
			if err != nil {
				fail(c, err)
				return
			}
			valid = fresh // a code works once
		}
		if !valid {
			log.Printf("login failed: wrong two-factor code for %q from %s", form.Username, ip)
			a.loginFailed(form.Username, ip, "two-factor code")
			failStatus(c, http.StatusUnauthorized, "twoFactorCode: wrong two-factor code")
			return
		}
	}
	a.Limiter.Succeeded(attempt)
	d, err := a.Sessions.IssueWithCSRF(c.Writer, user.Id, SessionCred(user), csrf)
	if err != nil {
		fail(c, err)
		return
	}
	if err := a.Sessions.IssueDevice(c.Writer, c.Request, user.Username); err != nil {
		log.Printf("login: trusted-device cookie: %v", err)
	}
	// login.succeeded when this address is new for the user.
	a.Events.LoginSucceeded(user.Username, ip)
	msg := "login successful"
	if user.DefaultCredential {
		msg += "; you are using the default credentials admin/admin, change them now"
	}
	okMsg(c, msg, LoginResult{
		CSRFToken:         d.CSRF,
		DefaultCredential: user.DefaultCredential,
		SessionMaxAge:     int(a.Sessions.MaxAge() / time.Minute),
	})
}

// logout revokes the session: POST with the session's CSRF token only, so
// a link or image on another site cannot log the admin out. GET answers
// 405 (3x-ui's GET link is gone).
func (a *AuthController) logout(c *gin.Context) {
	get := c.Request.Method == http.MethodGet
	if get && c.GetHeader("Sec-Fetch-Site") != "same-origin" {
		// A GET from another site (an <img>, a link) must not log out; the
		// panel's own button navigates same-origin, which browsers attest.
		c.Header("Allow", http.MethodPost)
		failStatus(c, http.StatusMethodNotAllowed, "logout: use POST with the "+session.CSRFHeader+" header")
		return
	}
	if d, err := a.Sessions.Load(c.Request); err == nil && !get && !d.CheckCSRF(middleware.PresentedCSRF(c)) {
		failStatus(c, http.StatusForbidden, "logout: missing or invalid CSRF token")
		return
	}
	if d, err := a.Sessions.Load(c.Request); err == nil {
		// On a master this ends every session of the user (the users
		// table is master only); on any node Revoke below records this
		// session in the shared session_revocations table.
		if err := a.Users.EndSessions(d.UserID); err != nil && errs.KindOf(err) != errs.KindForbidden {
			log.Printf("logout: end sessions of user %d: %v", d.UserID, err)
		}
	}
	if err := a.Sessions.Revoke(c.Writer, c.Request); err != nil {
		log.Printf("logout: %v (the session is refused on this node only)", err)
	}
	if get {
		c.Redirect(http.StatusSeeOther, a.BasePath)
		return
	}
	okMsg(c, "logged out", nil)
}

// loginFailed records a login.failed event: who tried from where and
// what was wrong, never the password itself.
func (a *AuthController) loginFailed(username, ip, wrong string) {
	a.Events.Emit(notify.LoginFailed, map[string]string{"username": username, "ip": ip, "wrong": wrong})
}
