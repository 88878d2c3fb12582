package controller

import (
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"io/fs"
	"log"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/iplimit"
	"github.com/mhsanaei/3x-ui/v2/logging"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram"
	"github.com/mhsanaei/3x-ui/v2/ops"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
	"github.com/mhsanaei/3x-ui/v2/web/session"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// Deps are the services and security parts the routes use.
type Deps struct {
	BasePath     string // starts and ends with "/"
	Sessions     *session.Manager
	Limiter      *middleware.LoginLimiter
	Secrets      *middleware.LoginLimiter  // old password and two-factor codes, per session
	Passwords    *middleware.PasswordSlots // concurrent bcrypt checks (login, old password)
	Auth         *middleware.Authenticator
	Users        *auth.Users
	Settings     *settings.Store
	Inbounds     *inbound.Store
	Xray         *xrayrun.Runner
	IPLimit      *iplimit.Limiter
	Status       *ops.Status
	Backup       *ops.Backups
	Tokens       *auth.Tokens
	TwoFA        *auth.TwoFactor
	Node         *cluster.Node // this node's role, for the node pages
	Template     *xrayrun.XrayTemplateChecker
	RestartPanel func()
	UI           fs.FS         // the built web UI (nil: fallback pages)
	PanelLog     *logging.Ring // the panel's recent log (nil: none kept)
	// Events records what the routes see (failed logins); Webhooks are
	// the notification endpoints and their delivery log.
	Events   *notify.Recorder
	Webhooks *notify.Webhooks
	Email    *notify.EmailTester // the email "send test" button
	Telegram *telegram.Tester    // the Telegram "send test message" button
	Audit    *audit.Log          // the audit log's pages
	// SubLinks serves clients/subLinks and clients/links (nil: no links).
	SubLinks func(subID, email, host string) []string
}

// Register mounts every page and API route under d.BasePath.
func Register(engine *gin.Engine, d Deps) {
	base := engine.Group(d.BasePath)
	(&AuthController{Users: d.Users, Sessions: d.Sessions, Limiter: d.Limiter, Passwords: d.Passwords, BasePath: d.BasePath, Events: d.Events}).register(base)
	pages := &PageController{Auth: d.Auth, BasePath: d.BasePath, Node: d.Node}
	if d.UI != nil {
		ui, err := newSPA(d.UI, d.BasePath)
		if err != nil {
			log.Printf("web UI unusable, serving the fallback pages: %v", err)
		} else {
			pages.UI = ui
		}
	}
	pages.register(base)

	// 3x-ui v3's token route for a logged-in page (its SPA fetches it).
	// Every guarded route passes one permission check (permissions.go).
	authz := middleware.Authorize(PermissionRules(), d.BasePath)
	base.GET("panel/csrf-token", d.Auth.API(), authz, sessionCSRFToken)
	api := base.Group("panel/api", d.Auth.API(), authz)
	(&InboundController{Inbounds: d.Inbounds, Xray: d.Xray, IPLimit: d.IPLimit, Node: d.Node}).register(api.Group("inbounds"))
	(&ServerController{Status: d.Status, Xray: d.Xray, Backup: d.Backup, PanelLog: d.PanelLog, Audit: d.Audit, Events: d.Events}).register(api.Group("server"))
	(&ClientsController{Inbounds: d.Inbounds, Xray: d.Xray, IPLimit: d.IPLimit, Node: d.Node, SubLinks: d.SubLinks}).register(api.Group("clients"))
	(&NodesController{Node: d.Node}).register(api.Group("nodes"))
	(&NodeInfoController{Node: d.Node}).register(api.Group("server"))
	setting := api.Group("setting")
	settingRoutes := &SettingController{
		Settings: d.Settings, Users: d.Users, Sessions: d.Sessions,
		Template: d.Template, RestartPanel: d.RestartPanel, Xray: d.Xray, Secrets: d.Secrets, Passwords: d.Passwords, Audit: d.Audit,
	}
	settingRoutes.register(setting)
	xrayRoutes := &XrayController{Settings: settingRoutes, Inbounds: d.Inbounds}
	xrayRoutes.register(api.Group("xray"))
	// 3x-ui v2 served the same routes outside the API prefix.
	xrayRoutes.register(base.Group("panel/xray", d.Auth.API(), authz))
	(&APITokenController{Tokens: d.Tokens}).register(setting)
	(&AdminsController{Users: d.Users}).register(api)
	(&NotifyController{Webhooks: d.Webhooks, Email: d.Email, Telegram: d.Telegram}).register(api.Group("notify"))
	(&AuditController{Log: d.Audit}).register(api.Group("audit"))
	// Pending two-factor secrets live as long as this router.
	(&TwoFactorController{TwoFactor: d.TwoFA, Secrets: d.Secrets}).register(setting)
	// Unknown API paths answer JSON, not gin's plain-text 404.
	apiPrefix := d.BasePath + "panel/api/"
	engine.NoRoute(func(c *gin.Context) {
		if strings.HasPrefix(c.Request.URL.Path, apiPrefix) {
			// Without credentials every API path looks alike: no route map.
			if _, ok := d.Auth.Identify(c); !ok {
				failStatus(c, http.StatusUnauthorized, "not logged in")
				return
			}
			failStatus(c, http.StatusNotFound, "no such API route: "+c.Request.Method+" "+c.Request.URL.Path)
			return
		}
		if pages.UI != nil && c.Request.Method == http.MethodGet && strings.HasPrefix(c.Request.URL.Path, d.BasePath+"panel/") {
			pages.appPage(c) // client-side routes of the app
			return
		}
		c.String(http.StatusNotFound, "404 page not found")
	})
}
