package app

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/web/session"
)

func TestLogin(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		// The log is process-wide and parallel tests write to it too: the
		// buffer is locked, and this client's own address marks its lines.
		logs := &lockedLog{}
		prev := log.Writer()
		log.SetOutput(io.MultiWriter(prev, logs))
		t.Cleanup(func() { log.SetOutput(prev) })

		c := env.client()
		c.remote = "203.0.113.77:4000"
		bad := c.do("POST", "login", map[string]string{"username": "admin", "password": "S3cret-typo"})
		bad.expectFail(http.StatusUnauthorized, "wrong username or password")
		if strings.Contains(logs.String(), "S3cret-typo") {
			t.Fatalf("failed login logged the password: %s", logs.String())
		}
		if !strings.Contains(logs.String(), `login failed: username "admin" from 203.0.113.77`) {
			t.Fatalf("failed login not logged: %q", logs.String())
		}
		c.do("POST", "login", map[string]string{"password": "x"}).expectFail(http.StatusBadRequest, "username")
		c.do("POST", "login", url.Values{"username": {"admin"}}).expectFail(http.StatusBadRequest, "password")
		c.do("POST", "login", `{"username": "admin",`).expectFail(http.StatusBadRequest, "malformed JSON")

		// Form login (the 3x-ui UI) with the default credentials.
		good := c.do("POST", "login", url.Values{"username": {"admin"}, "password": {"admin"}}).expectOK()
		if good.obj()["defaultCredential"] != true || good.obj()["csrfToken"] == "" {
			t.Fatalf("login obj: %s", good.Raw)
		}
		var sess *http.Cookie
		for _, ck := range (&http.Response{Header: good.Header}).Cookies() {
			if ck.Name == session.CookieName {
				sess = ck
			}
		}
		if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != testBase || sess.Secure {
			t.Fatalf("session cookie: %+v", sess)
		}
		c.csrf = good.obj()["csrfToken"].(string)
		st := c.api("GET", "server/status", nil).expectOK()
		if st.obj()["defaultCredential"] != true {
			t.Fatalf("status must report default credentials: %s", st.Raw)
		}
		if r := c.api("GET", "setting/defaultCredential", nil).expectOK(); r.Msg.Obj != true {
			t.Fatalf("defaultCredential: %s", r.Raw)
		}

		// Logout ends the session, even for a copied cookie.
		copied := map[string]*http.Cookie{}
		for k, v := range c.cookies {
			copied[k] = v
		}
		// Issue 10 finding 10: logout is POST with CSRF; GET and a forged POST do nothing.
		if r := c.do("GET", "logout", nil); r.Code != http.StatusMethodNotAllowed {
			t.Fatalf("GET logout: %d", r.Code)
		}
		c.noCSRF = true
		c.do("POST", "logout", nil).expectFail(http.StatusForbidden, "CSRF")
		c.noCSRF = false
		c.api("GET", "inbounds/list", nil).expectOK()
		c.do("POST", "logout", nil).expectOK()
		// The web UI's button: a same-origin navigation, attested by the browser.
		ui := env.loggedIn()
		ui.header = http.Header{"Sec-Fetch-Site": {"same-origin"}}
		if r := ui.do("GET", "logout", nil); r.Code != http.StatusSeeOther {
			t.Fatalf("same-origin GET logout: %d", r.Code)
		}
		ui.header = nil
		ui.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "log")
		c.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "not logged in")
		c.cookies = copied
		c.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "not logged in")
	})
}

func TestUnauthenticated(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.client()
		for _, path := range []string{"inbounds/list", "server/status", "setting/all", "server/getDb"} {
			c.api("GET", path, nil).expectFail(http.StatusUnauthorized, "not logged in")
		}
		c.api("POST", "inbounds/add", mustJSON(vlessInbound(hostPort(31001)))).expectFail(http.StatusUnauthorized, "not logged in")
		// A forged cookie is no session.
		c.cookies[session.CookieName] = &http.Cookie{Name: session.CookieName, Value: "forged"}
		c.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "not logged in")

		page := c.do("GET", "panel/", nil)
		if page.Code != http.StatusTemporaryRedirect || page.Header.Get("Location") != testBase {
			t.Fatalf("panel page without login: %d %v", page.Code, page.Header)
		}
		login := c.do("GET", "", nil)
		if login.Code != 200 || !bytes.Contains(login.Raw, []byte(`action="/xui/login"`)) {
			t.Fatalf("login page: %d %s", login.Code, login.Raw)
		}
		// Issue 10 finding 11: without credentials unknown API paths look like any other: 401.
		c.api("GET", "no/such/route", nil).expectFail(http.StatusUnauthorized, "not logged in")

		lc := env.loggedIn()
		if r := lc.do("GET", "panel/", nil); r.Code != 200 || !bytes.Contains(r.Raw, []byte("server/status")) {
			t.Fatalf("panel page: %d", r.Code)
		}
		if r := lc.do("GET", "", nil); r.Code != http.StatusTemporaryRedirect {
			t.Fatalf("login page when logged in should go to the panel: %d", r.Code)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		now := time.Unix(1_800_000_000, 0)
		env.app.Limiter.Now = func() time.Time { return now }
		c := env.client()
		for i := 0; i < loginMaxFailures; i++ {
			c.do("POST", "login", map[string]string{"username": "admin", "password": "nope"}).
				expectFail(http.StatusUnauthorized, "wrong")
		}
		// Blocked now, even with the right password.
		r := c.do("POST", "login", map[string]string{"username": "admin", "password": "admin"})
		r.expectFail(http.StatusTooManyRequests, "too many failed login attempts")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		// Another IP is not affected.
		other := env.client()
		other.remote = "198.51.100.7:5000"
		other.do("POST", "login", map[string]string{"username": "admin", "password": "admin"}).expectOK()

		now = now.Add(loginWindow)
		c.do("POST", "login", map[string]string{"username": "admin", "password": "admin"}).expectOK()
	})
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		now := time.Now()
		env.app.Sessions().Now = func() time.Time { return now }
		c := env.loggedIn()
		c.api("GET", "inbounds/list", nil).expectOK()
		now = now.Add(59 * time.Minute)
		c.api("GET", "inbounds/list", nil).expectOK()
		now = now.Add(2 * time.Minute)
		c.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "session expired")
		if r := c.do("GET", "panel/", nil); r.Code != http.StatusTemporaryRedirect {
			t.Fatalf("expired session on a page: %d", r.Code)
		}
	})
}

func TestCSRF(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		before := env.dbState(t)
		c.noCSRF = true
		c.api("GET", "inbounds/list", nil).expectOK()
		c.api("POST", "inbounds/add", vlessInbound(hostPort(31002), vlessClient("csrf@x"))).
			expectFail(http.StatusForbidden, "CSRF")
		c.api("POST", "inbounds/resetAllTraffics", nil).expectFail(http.StatusForbidden, "CSRF")
		if after := env.dbState(t); after != before {
			t.Fatal("rejected CSRF request changed the database")
		}
		// Another session's token does not work either.
		c.noCSRF = false
		real := c.csrf
		c.csrf = env.loggedIn().csrf
		c.api("POST", "inbounds/resetAllTraffics", nil).expectFail(http.StatusForbidden, "CSRF")
		c.csrf = real
		c.api("POST", "inbounds/add", vlessInbound(hostPort(31002), vlessClient("csrf@x"))).expectOK()
	})
}

func TestTwoFactorLogin(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		secret := auth.NewTOTPSecret()
		if err := env.db.Current().Model(&model.User{}).Where("username = ?", "admin").
			Update("two_factor_secret", secret).Error; err != nil {
			t.Fatal(err)
		}
		c := env.client()
		r := c.do("POST", "login", map[string]string{"username": "admin", "password": "admin"})
		r.expectFail(http.StatusUnauthorized, "twoFactorCode")
		if r.obj()["twoFactorRequired"] != true {
			t.Fatalf("no twoFactorRequired hint: %s", r.Raw)
		}
		c.do("POST", "login", map[string]string{"username": "admin", "password": "admin", "twoFactorCode": "000000x"}).
			expectFail(http.StatusUnauthorized, "twoFactorCode")
		code, err := auth.TOTPCode(secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		c.do("POST", "login", map[string]string{"username": "admin", "password": "admin", "twoFactorCode": code}).expectOK()
		// Issue 10 finding 10: a code works once, also from another browser.
		replay := env.client()
		replay.remote = "198.51.100.20:4000"
		replay.do("POST", "login", map[string]string{"username": "admin", "password": "admin", "twoFactorCode": code}).
			expectFail(http.StatusUnauthorized, "twoFactorCode")
	})
}

func TestAPITokens(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		admin := env.loggedIn()
		admin.api("POST", "setting/apiTokens/create", map[string]string{"name": " "}).expectFail(http.StatusBadRequest, "name")
		created := admin.api("POST", "setting/apiTokens/create", map[string]string{"name": "ci"}).expectOK()
		token := created.obj()["token"].(string)
		admin.api("POST", "setting/apiTokens/create", map[string]string{"name": "ci"}).expectFail(http.StatusConflict, "name")
		info := created.obj()["info"].(map[string]any)
		id := int(info["id"].(float64))

		// Stored hashed only.
		var rec model.APIToken
		env.db.Current().First(&rec, id)
		if rec.Token == token || strings.Contains(rec.Token, token) || len(rec.Token) != 64 {
			t.Fatalf("token must be stored as sha256 hex: %+v", rec)
		}
		listed := admin.api("GET", "setting/apiTokens", nil).expectOK()
		if strings.Contains(string(listed.Raw), token) || strings.Contains(string(listed.Raw), rec.Token) {
			t.Fatal("token list leaks the token or its hash")
		}

		bot := env.client()
		bot.bearer = token
		bot.api("GET", "inbounds/list", nil).expectOK()
		// No CSRF needed with a bearer token.
		bot.api("POST", "inbounds/add", vlessInbound(hostPort(31003), vlessClient("bot@x"))).expectOK()
		env.db.Current().First(&rec, id)
		if rec.LastUsedAt == 0 {
			t.Fatal("last-used time not recorded")
		}

		wrong := env.client()
		wrong.bearer = token + "x"
		wrong.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "invalid or revoked API token")
		basic := env.client()
		basic.header = http.Header{"Authorization": {"Basic YWRtaW46YWRtaW4="}}
		basic.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "Bearer")

		admin.api("POST", "setting/apiTokens/revoke/"+itoa(id), nil).expectOK()
		bot.api("GET", "inbounds/list", nil).expectFail(http.StatusUnauthorized, "invalid or revoked API token")
		admin.api("POST", "setting/apiTokens/revoke/"+itoa(id), nil).expectFail(http.StatusNotFound, "id")
	})
}

// lockedLog collects the process log for one test; log.Logger serialises
// its writes, but reading while another test's goroutine writes needs a lock.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
