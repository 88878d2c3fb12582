package controller

import (
	"encoding/json"
	"errors"
	"github.com/mhsanaei/3x-ui/v2/util/applied"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/auth"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
	"github.com/mhsanaei/3x-ui/v2/web/session"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// SettingController serves shared settings, the admin user, the Xray
// template and panel restarts.
type SettingController struct {
	Settings     *settings.Store
	Users        *auth.Users
	Sessions     *session.Manager
	Template     *xrayrun.XrayTemplateChecker
	RestartPanel func()
	Xray         *xrayrun.Runner // reports whether a change reached Xray
	// Secrets limits wrong oldPassword checks per session.
	Secrets *middleware.LoginLimiter
	// Passwords caps concurrent password checks (shared with the login).
	Passwords *middleware.PasswordSlots
	Audit     *audit.Log // records panel restarts (nil: none)
}

func (a *SettingController) applier() ApplyReporter {
	if a.Xray == nil {
		return nil
	}
	return a.Xray
}

const templateKey = "xrayTemplateConfig"

func (a *SettingController) register(g *gin.RouterGroup) {
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		g.Handle(m, "all", a.all)
		g.Handle(m, "defaultCredential", a.defaultCredential)
		g.Handle(m, "getXrayTemplate", a.getXrayTemplate)
	}
	g.POST("update", a.update)
	g.POST("updateUser", middleware.SessionOnly("change the admin's username or password"), a.updateUser)
	g.POST("restartPanel", a.restartPanel)
	g.POST("updateXrayTemplate", a.updateXrayTemplate)
}

func (a *SettingController) all(c *gin.Context) {
	all, err := a.Settings.GetAllSettings()
	if err != nil {
		fail(c, err)
		return
	}
	for k, v := range settings.PanelValues(a.Settings.Panel()) {
		all[k] = v
	}
	if token, _ := all["tgBotToken"].(string); token != "" {
		all["tgBotToken"] = settings.MaskTgToken(token)
	}
	ok(c, all)
}

// update stores any subset of settings. A template in the set goes through
// Xray's own check first.
func (a *SettingController) update(c *gin.Context) {
	values, err := bindValues(c, false)
	if err != nil {
		fail(c, err)
		return
	}
	if len(values) == 0 {
		fail(c, errs.Invalid("body", "no settings given"))
		return
	}
	if tpl, present := values[templateKey]; present {
		text, err := templateText(templateKey, tpl)
		if err == nil {
			err = a.Template.Check(templateKey, text)
		}
		if err != nil {
			fail(c, err)
			return
		}
		values[templateKey] = text
	}
	var r applied.Receipt
	restart, err := a.Settings.WithReceipt(&r).As(middleware.Actor(c)).UpdateWithPanel(values)
	msg, obj := "settings updated", any(nil)
	if restart {
		// Written to x-ui.json; the running panel keeps its old address
		// until restartPanel, so say so rather than pretend it applied.
		msg = "settings updated; restart the panel to apply the listen address, port, base path, certificate or session length"
		obj = gin.H{"restartNeeded": true}
	}
	shared := false
	for k := range values {
		shared = shared || !settings.IsPanelKey(k)
	}
	if !shared && err == nil {
		okMsg(c, msg, obj) // nothing went to Xray
		return
	}
	replyWrite(c, a.applier(), &r, err, msg, obj)
}

func (a *SettingController) defaultCredential(c *gin.Context) {
	has, err := a.Users.HasDefaultCredential()
	if err != nil {
		fail(c, err)
		return
	}
	ok(c, has)
}

type updateUserForm struct {
	OldUsername string `json:"oldUsername" form:"oldUsername"`
	OldPassword string `json:"oldPassword" form:"oldPassword"`
	NewUsername string `json:"newUsername" form:"newUsername"`
	NewPassword string `json:"newPassword" form:"newPassword"`
}

// updateUser changes the admin login after checking the current one. The
// caller's session is reissued, because the change ends every old session.
func (a *SettingController) updateUser(c *gin.Context) {
	var form updateUserForm
	if err := bind(c, &form); err != nil {
		fail(c, err)
		return
	}
	switch {
	case strings.TrimSpace(form.OldUsername) == "":
		fail(c, errs.Invalid("oldUsername", "is required"))
		return
	case form.OldPassword == "":
		fail(c, errs.Invalid("oldPassword", "is required"))
		return
	}
	// Reserved before bcrypt: without a limit this is an unlimited
	// password oracle for whoever holds the session.
	key, allowed := takeSecretTry(c, a.Secrets, "oldPassword")
	if !allowed {
		return
	}
	release, slot := a.Passwords.Take(5 * time.Second)
	if !slot {
		a.Secrets.Give(key)
		c.Header("Retry-After", "5")
		failStatus(c, http.StatusTooManyRequests, "too many password checks at once; try again in a few seconds")
		return
	}
	user, err := a.Users.CheckUser(strings.TrimSpace(form.OldUsername), form.OldPassword)
	release()
	if err != nil || user == nil || user.Id != middleware.UserID(c) {
		fail(c, errs.Invalid("oldPassword", "current username or password is wrong"))
		return
	}
	a.Secrets.Give(key)
	newName, newPass := strings.TrimSpace(form.NewUsername), form.NewPassword
	if err := a.Users.As(middleware.Actor(c)).UpdateUser(user.Id, newName, newPass); err != nil {
		fail(c, renameField(err, map[string]string{"username": "newUsername", "password": "newPassword"}))
		return
	}
	updated, err := a.Users.CheckUser(newName, newPass)
	if err != nil {
		fail(c, err)
		return
	}
	var obj any
	if c.GetString(middleware.KeyAuthKind) == middleware.AuthSession {
		d, err := a.Sessions.Issue(c.Writer, updated.Id, SessionCred(updated))
		if err != nil {
			fail(c, err)
			return
		}
		obj = gin.H{"csrfToken": d.CSRF}
	}
	okMsg(c, "user updated", obj)
}

func (a *SettingController) restartPanel(c *gin.Context) {
	recordAction(c, a.Audit, "panel.restart", "panel")
	okMsg(c, "panel restarting", nil)
	if a.RestartPanel != nil {
		a.RestartPanel()
	}
}

func (a *SettingController) getXrayTemplate(c *gin.Context) {
	tpl, err := a.Settings.GetXrayConfigTemplate()
	if err != nil {
		fail(c, err)
		return
	}
	ok(c, json.RawMessage(tpl))
}

// updateXrayTemplate takes {"xraySetting": <object or JSON string>} (or the
// form field xraySetting), has Xray validate it, then saves it.
func (a *SettingController) updateXrayTemplate(c *gin.Context) {
	var body struct {
		XraySetting any `json:"xraySetting" form:"xraySetting"`
	}
	if isJSON(c.Request) {
		if err := bindJSON(c, &body); err != nil {
			fail(c, err)
			return
		}
	} else {
		body.XraySetting = c.PostForm("xraySetting")
	}
	text, err := templateText("xraySetting", body.XraySetting)
	if err == nil {
		err = a.Template.Check("xraySetting", text)
	}
	if err != nil {
		fail(c, err)
		return
	}
	var r applied.Receipt
	err = a.Settings.WithReceipt(&r).As(middleware.Actor(c)).SetXrayConfigTemplate(text)
	replyWrite(c, a.applier(), &r, err, "xray template updated", nil)
}

// templateText accepts a template as a JSON string or as an object.
func templateText(field string, v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", errs.Invalid(field, "is required")
	case string:
		if strings.TrimSpace(t) == "" {
			return "", errs.Invalid(field, "is required")
		}
		return t, nil
	case map[string]any:
		data, err := json.MarshalIndent(t, "", "  ")
		return string(data), err
	default:
		return "", errs.Invalid(field, "must be a JSON object or a string holding one")
	}
}

// renameField maps a service error's field to the name the request used.
func renameField(err error, names map[string]string) error {
	var se *errs.Error
	if errors.As(err, &se) {
		if n, ok := names[se.Field]; ok {
			return &errs.Error{Kind: se.Kind, Field: n, Msg: se.Msg}
		}
	}
	return err
}
