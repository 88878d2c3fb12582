package telegram

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"strconv"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
	"github.com/mymmrac/telego"
)

// draft is one admin chat's add-client conversation (v3.6's "add
// client"): the inbound, then email, quota, expiry, IP limit, tgId and
// comment, each with a default, then Submit.
type draft struct {
	inboundID int
	remark    string
	protocol  model.Protocol
	method    string // Shadowsocks: the inbound's cipher
	email     string
	totalGB   int64 // bytes, 0 = unlimited
	expiry    int64 // ms; negative: days from first use
	limitIP   int
	tgID      string
	comment   string
	subID     string
}

// randomLowerAndNum is n random lowercase letters and digits.
func randomLowerAndNum(n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

func (b *Bot) draftOf(chat int64) *draft {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.drafts[chat]
}

func (b *Bot) setDraft(chat int64, d *draft) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d == nil {
		delete(b.drafts, chat)
	} else {
		b.drafts[chat] = d
	}
}

// draftStart opens a draft on the inbound with v3's defaults: a random
// email and subId, no quota, no expiry, no IP limit.
func (s *session) draftStart(ctx context.Context, q *query, arg string) {
	in := s.inboundOf(ctx, q, arg)
	if in == nil {
		return
	}
	d := &draft{inboundID: in.Id, remark: in.Remark, protocol: in.Protocol,
		email: randomLowerAndNum(8), subID: randomLowerAndNum(16)}
	if fields, err := users.ParseStoredSettings([]byte(in.Settings)); err == nil {
		d.method, _ = fields.String("method")
	}
	s.bot.setDraft(q.chat, d)
	s.send(ctx, q.chat, s.draftText(d), s.draftMenu())
}

// draftText shows the draft.
func (s *session) draftText(d *draft) string {
	l := s.cfg.lang
	quota := tr(l, "unlimited")
	if d.totalGB > 0 {
		quota = formatBytes(d.totalGB)
	}
	ipLimit := tr(l, "unlimited")
	if d.limitIP > 0 {
		ipLimit = strconv.Itoa(d.limitIP)
	}
	dash := func(v string) string {
		if v == "" {
			return "-"
		}
		return html.EscapeString(v)
	}
	return tr(l, "draft", html.EscapeString(d.remark), html.EscapeString(d.email), quota,
		s.expiryText(d.expiry), ipLimit, dash(d.tgID), dash(d.comment))
}

// draftMenu is v3.6's draft keyboard, with its callback data.
func (s *session) draftMenu() *Keyboard {
	l := s.cfg.lang
	return keyboard(
		[]telego.InlineKeyboardButton{button(tr(l, "btnEmail"), "add_client_ch_default_email"), button(tr(l, "btnComment"), "add_client_ch_default_comment")},
		[]telego.InlineKeyboardButton{button(tr(l, "btnLimitTraffic"), "add_client_ch_default_traffic"), button(tr(l, "btnExpiry"), "add_client_ch_default_exp")},
		[]telego.InlineKeyboardButton{button(tr(l, "btnIPLimit"), "add_client_ch_default_ip_limit"), button(tr(l, "btnTgUser"), "add_client_ch_default_tg_id")},
		[]telego.InlineKeyboardButton{button(tr(l, "btnSubmitDisabled"), "add_client_submit_disable"), button(tr(l, "btnSubmitEnabled"), "add_client_submit_enable")},
		[]telego.InlineKeyboardButton{button(tr(l, "btnCancel"), "add_client_cancel")},
	)
}

// draftCallback answers the draft's buttons.
func (s *session) draftCallback(ctx context.Context, q *query, action, arg string) {
	l := s.cfg.lang
	if action == "add_client_to" {
		s.draftStart(ctx, q, arg)
		return
	}
	d := s.bot.draftOf(q.chat)
	if d == nil {
		s.toast(q, tr(l, "expired"))
		return
	}
	n, numErr := strconv.Atoi(arg)
	hasNum := numErr == nil && n >= 0
	switch action {
	case "add_client_ch_default_email", "add_client_ch_default_tg_id", "add_client_ch_default_comment":
		field := strings.TrimPrefix(action, "add_client_ch_default_")
		s.bot.await(q.chat, "draft:"+field)
		s.send(ctx, q.chat, tr(l, "prompt_"+field), keyboard([]telego.InlineKeyboardButton{button(tr(l, "btnUseDefault"), "add_client_default_info")}))
	case "add_client_limit_traffic_in", "add_client_reset_exp_in", "add_client_ip_limit_in":
		s.askNumber(ctx, q.chat, strings.TrimSuffix(action, "_in")+"_c", "add_client_default_info")
	case "add_client_default_info":
		s.send(ctx, q.chat, s.draftText(d), s.draftMenu())
	case "add_client_ch_default_traffic":
		s.edit(ctx, q.chat, q.msgID, s.draftText(d), s.presets("add_client_limit_traffic_c", trafficPresets(), "%d GB", "add_client_default_traffic_exp"))
	case "add_client_ch_default_exp":
		s.edit(ctx, q.chat, q.msgID, s.draftText(d), s.presets("add_client_reset_exp_c", expiryPresets(), tr(l, "days"), "add_client_default_traffic_exp"))
	case "add_client_ch_default_ip_limit":
		s.edit(ctx, q.chat, q.msgID, s.draftText(d), s.presets("add_client_ip_limit_c", ipLimitPresets(), "%d", "add_client_default_ip_limit"))
	case "add_client_default_traffic_exp", "add_client_default_ip_limit":
		s.edit(ctx, q.chat, q.msgID, s.draftText(d), s.draftMenu())
	case "add_client_limit_traffic_c", "add_client_reset_exp_c", "add_client_ip_limit_c":
		if !hasNum {
			return
		}
		s.bot.mu.Lock()
		switch action {
		case "add_client_limit_traffic_c":
			d.totalGB = int64(n) * gib
		case "add_client_reset_exp_c": // v3: the days run from first use
			d.expiry = -int64(n) * dayMs
		default:
			d.limitIP = n
		}
		s.bot.mu.Unlock()
		s.show(ctx, q, s.draftText(d), s.draftMenu())
	case "add_client_submit_enable", "add_client_submit_disable":
		if err := s.submitDraft(audit.Bot(q.chat, action), d, action == "add_client_submit_enable"); err != nil {
			s.toast(q, tr(l, "failed", err.Error()))
			s.send(ctx, q.chat, tr(l, "addFailed", html.EscapeString(err.Error())), nil)
			return
		}
		s.bot.setDraft(q.chat, nil)
		s.show(ctx, q, s.draftText(d)+"\n\n"+tr(l, "added"), nil)
		s.clientCard(ctx, q.chat, 0, d.email)
	case "add_client_cancel":
		s.bot.setDraft(q.chat, nil)
		s.edit(ctx, q.chat, q.msgID, tr(l, "cancelled"), nil)
	}
}

// draftInput takes the typed answer to the draft's question field
// ("email", "tg_id" or "comment").
func (s *session) draftInput(ctx context.Context, chat int64, field, text string) {
	l := s.cfg.lang
	d := s.bot.draftOf(chat)
	if d == nil {
		return
	}
	retry := keyboard([]telego.InlineKeyboardButton{button(tr(l, "btnUseDefault"), "add_client_default_info")})
	switch field {
	case "email":
		// One word, as v3 asks; the write checks the rest (allowed
		// characters, length, uniqueness) and names the field.
		if text == "" || strings.ContainsAny(text, " \t\n") {
			s.bot.await(chat, "draft:"+field)
			s.send(ctx, chat, tr(l, "badInput"), retry)
			return
		}
	case "tg_id":
		if text == "-" || strings.EqualFold(text, "none") {
			text = ""
		} else if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			s.bot.await(chat, "draft:"+field)
			s.send(ctx, chat, tr(l, "badInput"), retry)
			return
		}
	}
	s.bot.mu.Lock()
	switch field {
	case "email":
		d.email = text
	case "tg_id":
		d.tgID = text
	case "comment":
		d.comment = text
	}
	s.bot.mu.Unlock()
	s.send(ctx, chat, s.draftText(d), s.draftMenu())
}

// submitDraft adds the client through the API's own write (addClient):
// the same checks (email free across inbounds, keys free, settings
// shape), one transaction, the shared-version bump, Xray apply, and a
// worker's refusal.
func (s *session) submitDraft(who audit.Actor, d *draft, enable bool) error {
	c := map[string]any{
		"email": d.email, "enable": enable, "totalGB": d.totalGB, "expiryTime": d.expiry,
		"limitIp": d.limitIP, "subId": d.subID, "comment": d.comment, "reset": 0,
	}
	if d.tgID != "" {
		id, _ := strconv.ParseInt(d.tgID, 10, 64)
		c["tgId"] = id
	}
	keys := inbound.NewCredentials(d.protocol, d.method)
	if keys == nil {
		return fmt.Errorf("inbound %q (%s) has no clients to add", d.remark, d.protocol)
	}
	maps.Copy(c, keys)
	if d.protocol == model.VLESS {
		c["flow"] = ""
	}
	body, err := json.Marshal(map[string]any{"clients": []any{c}})
	if err != nil {
		return err
	}
	return s.bot.d.Inbounds.As(who).AddInboundClient(&model.Inbound{Id: d.inboundID, Settings: string(body)})
}
