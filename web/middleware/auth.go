package middleware

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/web/session"
)

// Context keys set by the authenticator.
const (
	KeyUserID   = "xui.userID"
	KeyAuthKind = "xui.authKind"
	KeySession  = "xui.session"
	KeyTokenID  = "xui.tokenID"
	// KeyPrincipal holds the request's *auth.Principal (see PrincipalOf).
	KeyPrincipal = "xui.principal"
)

// How a request was authenticated.
const (
	AuthSession = "session"
	AuthToken   = "token"
)

// Authenticator accepts a session cookie or an `Authorization: Bearer` API token.
type Authenticator struct {
	Sessions *session.Manager
	Tokens   *auth.Tokens
	// CheckUser confirms a session's user still exists with the credentials
	// the session was issued for (a password change ends old sessions).
	CheckUser func(userID int, cred string) bool
	// Users loads the user behind a request for its role; without it no
	// principal is set and Authorize refuses every mapped route.
	Users *auth.Users
	// SessionCred is the credential a session of user u must carry
	// (controller.SessionCred); with Users it replaces CheckUser.
	SessionCred func(u *model.User) string
}

type authResult struct {
	userID    int
	kind      string
	sess      *session.Data
	tokenID   int
	principal *auth.Principal
}

var errBadAuthHeader = errors.New("Authorization header must be \"Bearer <token>\"")

func (a *Authenticator) identify(c *gin.Context) (*authResult, error) {
	if header := c.GetHeader("Authorization"); header != "" {
		scheme, token, ok := strings.Cut(header, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return nil, errBadAuthHeader
		}
		rec, err := a.Tokens.Authenticate(strings.TrimSpace(token))
		if err != nil {
			return nil, err
		}
		res := &authResult{userID: rec.UserId, kind: AuthToken, tokenID: rec.Id}
		if a.Users != nil {
			u, err := a.Users.Get(rec.UserId)
			if err != nil {
				// The token's user is gone (tokens go with their user).
				return nil, auth.ErrAPITokenInvalid
			}
			p := auth.TokenPrincipal(u, rec)
			res.principal = &p
		}
		return res, nil
	}
	d, err := a.Sessions.Load(c.Request)
	if err != nil {
		return nil, err
	}
	res := &authResult{userID: d.UserID, kind: AuthSession, sess: d}
	if a.Users != nil && a.SessionCred != nil {
		// One read of the user serves both the credential check and the
		// role, so roles cost no extra query per request.
		u, err := a.Users.Get(d.UserID)
		if err != nil || a.SessionCred(u) != d.Cred {
			return nil, session.ErrExpired
		}
		p := auth.PrincipalOf(u)
		res.principal = &p
		return res, nil
	}
	if a.CheckUser != nil && !a.CheckUser(d.UserID, d.Cred) {
		return nil, session.ErrExpired
	}
	return res, nil
}

func (r *authResult) store(c *gin.Context) {
	c.Set(KeyUserID, r.userID)
	c.Set(KeyAuthKind, r.kind)
	if r.sess != nil {
		c.Set(KeySession, r.sess)
	}
	if r.tokenID != 0 {
		c.Set(KeyTokenID, r.tokenID)
	}
	if r.principal != nil {
		c.Set(KeyPrincipal, r.principal)
	}
}

// API guards JSON routes: 401 without valid credentials, and 403 for a
// cookie-authenticated write without the session's CSRF token. Bearer
// requests are exempt from CSRF: browsers never attach them on their own.
// No API answer may be cached: they carry settings, keys, logs and, from
// server/getDb, the whole database.
func (a *Authenticator) API() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		res, err := a.identify(c)
		if err != nil {
			msg := "not logged in"
			switch {
			case errors.Is(err, session.ErrExpired):
				msg = "session expired, log in again"
			case errors.Is(err, auth.ErrAPITokenInvalid), errors.Is(err, auth.ErrAPITokenDisabled), errors.Is(err, errBadAuthHeader):
				msg = err.Error()
			case errors.Is(err, database.ErrClosed):
				// A token cannot be checked while the database is away.
				AbortJSON(c, http.StatusServiceUnavailable, "authentication unavailable: "+err.Error())
				return
			case !errors.Is(err, session.ErrNoSession) && !errors.Is(err, session.ErrInvalid):
				AbortJSON(c, http.StatusInternalServerError, "authentication failed: "+err.Error())
				return
			}
			AbortJSON(c, http.StatusUnauthorized, msg)
			return
		}
		if res.kind == AuthSession && !isSafeMethod(c.Request.Method) &&
			!res.sess.CheckCSRF(PresentedCSRF(c)) {
			AbortJSON(c, http.StatusForbidden, "missing or invalid CSRF token: send the "+
				session.CSRFHeader+" header with the csrfToken from login or GET csrf-token (also in the "+session.CSRFCookieName+" cookie)")
			return
		}
		res.store(c)
		c.Next()
	}
}

// Page guards HTML pages: without a valid session it redirects to loginPath.
func (a *Authenticator) Page(loginPath string) gin.HandlerFunc {
	return func(c *gin.Context) {
		res, err := a.identify(c)
		if err != nil {
			c.Redirect(http.StatusTemporaryRedirect, loginPath)
			c.Abort()
			return
		}
		res.store(c)
		c.Next()
	}
}

// Identify reports whether the request carries valid credentials (session
// or API token) without aborting.
func (a *Authenticator) Identify(c *gin.Context) (string, bool) {
	res, err := a.identify(c)
	if err != nil {
		return "", false
	}
	return res.kind, true
}

// LoggedIn reports whether the request carries a valid session, without
// aborting (the login page uses it to skip straight to the panel).
func (a *Authenticator) LoggedIn(c *gin.Context) bool {
	res, err := a.identify(c)
	return err == nil && res.kind == AuthSession
}

// PresentedCSRF is the CSRF token a request carries: the X-CSRF-Token
// header, or else the _csrf field of a URL-encoded form body (3x-ui v3
// accepts both). Multipart bodies are not parsed here: an upload must not
// be read before the route's own size limit applies.
func PresentedCSRF(c *gin.Context) string {
	if t := c.GetHeader(session.CSRFHeader); t != "" {
		return t
	}
	ct := strings.ToLower(c.GetHeader("Content-Type"))
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return c.PostForm(session.CSRFFormField)
	}
	return ""
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// SessionOnly refuses API-token requests with 403: tokens are for
// automation and must not manage credentials (passwords, two-factor, other
// tokens), or a leaked token could lock the owner out. what completes
// "API tokens cannot ...".
func SessionOnly(what string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetString(KeyAuthKind) != AuthSession {
			AbortJSON(c, http.StatusForbidden, "API tokens cannot "+what+"; log in to the panel to do it")
			return
		}
		c.Next()
	}
}

// SecretKey is the key a secret check (old password, two-factor code) is
// limited under: the session, so a stolen cookie gets a few guesses while
// the owner's other sessions keep theirs.
func SecretKey(c *gin.Context) string {
	if d, ok := c.Get(KeySession); ok {
		if s, ok := d.(*session.Data); ok {
			return "secret\x00session\x00" + s.ID
		}
	}
	return "secret\x00user\x00" + itoa64(int64(UserID(c)))
}

// UserID is the authenticated user's id (0 if none).
func UserID(c *gin.Context) int { return c.GetInt(KeyUserID) }
