package controller

import (
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// NotifyController serves the webhooks, their delivery log and the event
// stream under panel/api/notify/ (docs/notifications.md).
type NotifyController struct {
	Webhooks *notify.Webhooks
	Email    *notify.EmailTester
	Telegram *telegram.Tester
}

func (n *NotifyController) register(g *gin.RouterGroup) {
	g.GET("webhooks", n.list)
	g.GET("webhooks/list", n.list)
	g.POST("webhooks/add", n.add)
	g.POST("webhooks/update/:id", n.update)
	g.POST("webhooks/del/:id", n.del)
	g.POST("webhooks/test/:id", n.test)
	g.GET("deliveries", n.deliveries)
	g.GET("events", n.events)
	g.POST("email/test", n.emailTest)
	g.POST("telegram/test", n.telegramTest)
	g.GET("kinds", n.kinds)
}

// kinds lists the event kinds and where each can be sent, for the
// notifications page's checkboxes and its "which events go where" table.
func (n *NotifyController) kinds(c *gin.Context) {
	replyObj(c, notify.KindList(), nil)
}

// telegramTest sends a test message to the admin chats now with the
// stored tg* settings, or those posted (the form's unsaved values); a
// failure is a 400 naming the setting to fix (docs/telegram.md).
func (n *NotifyController) telegramTest(c *gin.Context) {
	posted, err := bindValues(c, true)
	if err != nil {
		fail(c, err)
		return
	}
	res, err := n.Telegram.SendTest(c.Request.Context(), posted)
	reply(c, err, fmt.Sprintf("test message sent by @%s to %d chat(s)", res.Bot, len(res.Chats)), res)
}

// emailTest sends a test mail now with the stored smtp* settings, or
// those posted (the form's unsaved values); a failure is a 400 naming the
// setting to fix (docs/notifications.md, Email).
func (n *NotifyController) emailTest(c *gin.Context) {
	posted, err := bindValues(c, true)
	if err != nil {
		fail(c, err)
		return
	}
	res, err := n.Email.SendTest(c.Request.Context(), posted)
	reply(c, err, "test email sent to "+strings.Join(res.To, ", "), res)
}

func (n *NotifyController) list(c *gin.Context) {
	hooks, err := n.Webhooks.List()
	replyObj(c, hooks, err)
}

func (n *NotifyController) add(c *gin.Context) {
	with(c, bodyWebhook, func(in notify.WebhookInput) {
		w, err := n.Webhooks.As(middleware.Actor(c)).Add(in)
		reply(c, err, "webhook added; copy its secret now, it is not shown again", w)
	})
}

func (n *NotifyController) update(c *gin.Context) {
	with(c, idParam, func(id int) {
		with(c, bodyWebhook, func(in notify.WebhookInput) {
			w, err := n.Webhooks.As(middleware.Actor(c)).Update(id, in)
			reply(c, err, "webhook updated", w)
		})
	})
}

func (n *NotifyController) del(c *gin.Context) {
	with(c, idParam, func(id int) {
		reply(c, n.Webhooks.As(middleware.Actor(c)).Delete(id), "webhook deleted", nil)
	})
}

// test posts a test event now and answers what the receiver said; a
// receiver's refusal is the test's result, not a failed request.
func (n *NotifyController) test(c *gin.Context) {
	with(c, idParam, func(id int) {
		d, err := n.Webhooks.SendTest(c.Request.Context(), id)
		msg := "test event delivered"
		if err == nil && d.Status != string(notify.StatusDelivered) {
			msg = "test event not delivered: " + d.LastError
		}
		reply(c, err, msg, d)
	})
}

func (n *NotifyController) deliveries(c *gin.Context) {
	q := notify.DeliveryQuery{Status: c.Query("status")}
	var err error
	// webhookId=email and webhookId=telegram are those channels' logs.
	switch c.Query("webhookId") {
	case "email":
		q.WebhookID = notify.EmailTarget
	case "telegram":
		q.WebhookID = notify.TelegramTarget
	default:
		q.WebhookID, err = intQuery(c, "webhookId", 0)
	}
	if err == nil {
		if q.Offset, err = intQuery(c, "offset", 0); err == nil {
			q.Limit, err = intQuery(c, "limit", 0)
		}
	}
	if err != nil {
		fail(c, err)
		return
	}
	page, err := n.Webhooks.Deliveries(q)
	replyObj(c, page, err)
}

func (n *NotifyController) events(c *gin.Context) {
	q := notify.EventQuery{Kind: c.Query("kind")}
	var err error
	if q.Offset, err = intQuery(c, "offset", 0); err == nil {
		q.Limit, err = intQuery(c, "limit", 0)
	}
	if err != nil {
		fail(c, err)
		return
	}
	page, err := n.Webhooks.Events(q)
	replyObj(c, page, err)
}

// bodyWebhook binds an add or update: JSON with any subset of url,
// secret, events and enabled, or the same as form fields (events as a
// JSON list). A field left out stays as it is on update.
func bodyWebhook(c *gin.Context) (notify.WebhookInput, error) {
	var in notify.WebhookInput
	if isJSON(c.Request) {
		return in, bindJSON(c, &in)
	}
	var f struct {
		URL     string   `form:"url"`
		Secret  string   `form:"secret"`
		Events  []string `form:"events"`
		Enabled bool     `form:"enabled"`
	}
	if err := bind(c, &f); err != nil {
		return in, err
	}
	form := c.Request.Form
	if form.Has("url") {
		in.URL = &f.URL
	}
	if form.Has("secret") {
		in.Secret = &f.Secret
	}
	if form.Has("events") {
		in.Events = &f.Events
	}
	if form.Has("enabled") {
		in.Enabled = &f.Enabled
	}
	if in == (notify.WebhookInput{}) {
		return in, errs.Invalid("body", "names no field; send url, secret, events or enabled")
	}
	return in, nil
}
