package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/mhsanaei/3x-ui/v2/audit"
	"html"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
	"github.com/mymmrac/telego"
	"rsc.io/qr"
)

// gib is one GiB: v3's traffic buttons count GB, totalGB holds bytes.
const gib = int64(1) << 30

const dayMs = int64(24 * time.Hour / time.Millisecond)

// The preset choices of v3.6's per-client and add-client keyboards: GB,
// days and IPs.
func trafficPresets() []int { return []int{1, 5, 10, 20, 30, 40, 50, 60, 80, 100, 150, 200} }
func expiryPresets() []int  { return []int{7, 10, 14, 20, 30, 90, 180, 365} }
func ipLimitPresets() []int { return []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10} }

// clientAction answers an admin's button that names a client (or an
// inbound): "<action> <email>[ <number>]".
func (s *session) clientAction(ctx context.Context, q *query, action, arg string) {
	l := s.cfg.lang
	email, num, hasNum := arg, 0, false
	if i := strings.LastIndexByte(arg, ' '); i > 0 {
		if n, err := strconv.Atoi(arg[i+1:]); err == nil {
			email, num, hasNum = arg[:i], n, true
		}
	}
	switch action {
	case "get_clients":
		s.inboundClients(ctx, q, arg, "client_get_usage")
	case "get_clients_for_sub":
		s.inboundClients(ctx, q, arg, "client_sub_links")
	case "get_clients_for_individual":
		s.inboundClients(ctx, q, arg, "client_individual_links")
	case "get_clients_for_qr":
		s.inboundClients(ctx, q, arg, "client_qr_links")
	case "tg_user", "tgid_refresh", "tgid_cancel":
		s.tgUser(ctx, q, action == "tg_user", email)
	case "tgid_remove":
		s.edit(ctx, q.chat, q.msgID, s.tgUserText(email)+"\n\n"+tr(l, "tgRemoveAsk"), s.confirm("tgid_remove_c "+email, "tgid_cancel "+email))
	case "tgid_remove_c":
		// v3 stores 0 for "no Telegram user": no chat has id 0.
		if err := s.patchClient(audit.Bot(q.chat, action), email, map[string]any{"tgId": 0}); err != nil {
			s.toast(q, tr(l, "failed", err.Error()))
		} else {
			s.toast(q, tr(l, "done"))
		}
		s.tgUser(ctx, q, false, email)
	case "client_get_usage":
		s.clientCard(ctx, q.chat, 0, email)
	case "client_refresh", "client_cancel":
		s.clientCard(ctx, q.chat, q.msgID, email)
	case "reset_traffic":
		s.ask(ctx, q, email, tr(l, "resetTrafficAsk"), s.confirm("reset_traffic_c "+email, "client_cancel "+email))
	case "reset_traffic_c":
		s.written(ctx, q, email, s.resetTraffic(audit.Bot(q.chat, action), email))
	case "limit_traffic":
		s.ask(ctx, q, email, tr(l, "limitTrafficAsk"), s.presets("limit_traffic_c "+email, trafficPresets(), "%d GB", "client_cancel "+email))
	case "limit_traffic_c":
		if !hasNum || num < 0 {
			break
		}
		s.written(ctx, q, email, s.patchClient(audit.Bot(q.chat, action), email, map[string]any{"totalGB": int64(num) * gib}))
	case "reset_exp":
		s.ask(ctx, q, email, tr(l, "expiryAsk"), s.presets("reset_exp_c "+email, expiryPresets(), tr(l, "plusDays"), "client_cancel "+email))
	case "reset_exp_c":
		if !hasNum || num < 0 {
			break
		}
		s.written(ctx, q, email, s.extendExpiry(audit.Bot(q.chat, action), email, int64(num)))
	case "ip_limit":
		s.ask(ctx, q, email, tr(l, "ipLimitAsk"), s.presets("ip_limit_c "+email, ipLimitPresets(), "%d", "client_cancel "+email))
	case "ip_limit_c":
		if !hasNum || num < 0 {
			break
		}
		s.written(ctx, q, email, s.patchClient(audit.Bot(q.chat, action), email, map[string]any{"limitIp": num}))
	case "limit_traffic_in", "reset_exp_in", "ip_limit_in":
		s.askNumber(ctx, q.chat, strings.TrimSuffix(action, "_in")+"_c "+email, "client_get_usage "+email)
	case "toggle_enable":
		s.ask(ctx, q, email, tr(l, "toggleAsk"), s.confirm("toggle_enable_c "+email, "client_cancel "+email))
	case "toggle_enable_c":
		s.written(ctx, q, email, s.toggleEnable(audit.Bot(q.chat, action), email))
	case "ip_log":
		s.ipLog(ctx, q.chat, 0, email)
	case "ips_refresh", "ips_cancel":
		s.ipLog(ctx, q.chat, q.msgID, email)
	case "clear_ips":
		s.edit(ctx, q.chat, q.msgID, s.ipText(email)+"\n\n"+tr(l, "clearIPsAsk"), s.confirm("clear_ips_c "+email, "ips_cancel "+email))
	case "clear_ips_c":
		if s.bot.d.IPLimit != nil {
			// nil node: the bot runs on the master only.
			if err := s.bot.d.IPLimit.ClearClientIPsAs(audit.Bot(q.chat, action), nil, email); err != nil {
				s.toast(q, tr(l, "failed", err.Error()))
			} else {
				s.toast(q, tr(l, "done"))
			}
		}
		s.ipLog(ctx, q.chat, q.msgID, email)
	case "client_sub_links":
		s.sendSubLink(ctx, q.chat, email)
	case "client_individual_links":
		s.sendLinks(ctx, q.chat, email)
	case "client_qr_links":
		s.sendQRs(ctx, q.chat, email)
	}
}

// ask turns the client's card into a question with its own keyboard.
func (s *session) ask(ctx context.Context, q *query, email, question string, kb *Keyboard) {
	s.edit(ctx, q.chat, q.msgID, s.usageText(email)+"\n\n"+question, kb)
}

// written answers a write: a toast with the outcome (the error names the
// field, as the API's 400 does) and the card as it now stands.
func (s *session) written(ctx context.Context, q *query, email string, err error) {
	if err != nil {
		s.toast(q, tr(s.cfg.lang, "failed", err.Error()))
		s.send(ctx, q.chat, tr(s.cfg.lang, "failed", html.EscapeString(err.Error())), nil)
	} else {
		s.toast(q, tr(s.cfg.lang, "done"))
	}
	s.clientCard(ctx, q.chat, q.msgID, email)
}

// presets is a keyboard of Unlimited, Custom (a typed number) and the
// values (label: format of the value), each sending prefix + " " +
// value, and Cancel.
func (s *session) presets(prefix string, values []int, format, cancel string) *Keyboard {
	l := s.cfg.lang
	action, arg, _ := strings.Cut(prefix, " ")
	custom := strings.TrimSuffix(action, "_c") + "_in"
	if arg != "" {
		custom += " " + arg
	}
	rows := [][]telego.InlineKeyboardButton{{button(tr(l, "unlimitedBtn"), s.cb(prefix+" 0")), button(tr(l, "btnCustom"), s.cb(custom))}}
	var row []telego.InlineKeyboardButton
	for _, v := range values {
		row = append(row, button(fmt.Sprintf(format, v), s.cb(prefix+" "+strconv.Itoa(v))))
		if len(row) == 3 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return keyboard(append(rows, []telego.InlineKeyboardButton{button(tr(l, "btnCancel"), s.cb(cancel))})...)
}

// clientCard is v3's client answer: usage, limits and the per-client
// actions; sent anew (msgID 0) or in place of msgID.
func (s *session) clientCard(ctx context.Context, chat int64, msgID int, email string) {
	l := s.cfg.lang
	in, c, err := s.bot.d.Inbounds.GetClientByEmail(email)
	if err != nil {
		text := tr(l, "notFound", html.EscapeString(email))
		if msgID != 0 {
			s.edit(ctx, chat, msgID, text, nil)
		} else {
			s.send(ctx, chat, text, nil)
		}
		return
	}
	email = c.Email
	ipLimit := tr(l, "unlimited")
	if c.LimitIP > 0 {
		ipLimit = strconv.Itoa(c.LimitIP)
	}
	tgID := tgIDOf(c.TgID)
	if tgID == "" || tgID == "0" {
		tgID = "-"
	}
	text := s.usageText(email) + "\n" + tr(l, "cardExtra", html.EscapeString(in.Remark), ipLimit, html.EscapeString(tgID))
	if c.Comment != "" {
		text += "\n💬 " + html.EscapeString(c.Comment)
	}
	toggle := tr(l, "btnDisable")
	if !c.Enable {
		toggle = tr(l, "btnEnable")
	}
	b := func(label, action string) telego.InlineKeyboardButton {
		return button(tr(l, label), s.cb(action+" "+email))
	}
	kb := keyboard(
		[]telego.InlineKeyboardButton{b("btnRefresh", "client_refresh")},
		[]telego.InlineKeyboardButton{b("btnResetTraffic", "reset_traffic"), b("btnLimitTraffic", "limit_traffic")},
		[]telego.InlineKeyboardButton{b("btnExpiry", "reset_exp")},
		[]telego.InlineKeyboardButton{b("btnIPLog", "ip_log"), b("btnIPLimit", "ip_limit")},
		[]telego.InlineKeyboardButton{b("btnTgUser", "tg_user")},
		[]telego.InlineKeyboardButton{button(toggle, s.cb("toggle_enable "+email))},
		[]telego.InlineKeyboardButton{b("btnSubLinks", "client_sub_links"), b("btnLinks", "client_individual_links"), b("btnQR", "client_qr_links")},
	)
	if msgID != 0 {
		s.edit(ctx, chat, msgID, text, kb)
	} else {
		s.send(ctx, chat, text, kb)
	}
}

// inboundClients lists one inbound's clients as buttons sending action
// with the email (the card, or the links).
func (s *session) inboundClients(ctx context.Context, q *query, arg, action string) {
	l := s.cfg.lang
	in := s.inboundOf(ctx, q, arg)
	if in == nil {
		return
	}
	var emails []string
	for _, st := range in.ClientStats {
		emails = append(emails, st.Email)
	}
	if len(emails) == 0 {
		s.send(ctx, q.chat, tr(l, "noClients", html.EscapeString(in.Remark)), nil)
		return
	}
	s.send(ctx, q.chat, tr(l, "chooseClient", html.EscapeString(in.Remark)), s.actionButtons(action, emails))
}

// patchClient sets fields of the client with email through the API's
// own write (updateClient): the same checks, transaction, shared-version
// bump and Xray apply, and a worker's refusal.
func (s *session) patchClient(who audit.Actor, email string, fields map[string]any) error {
	return s.updateClient(who, email, func(c map[string]any) { maps.Copy(c, fields) })
}

// updateClient reads the stored client with email as JSON (every field
// kept, numbers exact), lets change edit it and writes it back with
// UpdateInboundClient.
func (s *session) updateClient(who audit.Actor, email string, change func(map[string]any)) error {
	in, c, err := s.bot.d.Inbounds.GetClientByEmail(email)
	if err != nil {
		return err
	}
	fields, err := users.ParseStoredSettings([]byte(in.Settings))
	if err != nil {
		return err
	}
	raws, err := fields.Clients()
	if err != nil {
		return err
	}
	for _, raw := range raws {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber() // ids and byte counts stay exact
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return err
		}
		if e, _ := obj["email"].(string); strings.EqualFold(e, c.Email) {
			change(obj)
			body, err := json.Marshal(map[string]any{"clients": []any{obj}})
			if err != nil {
				return err
			}
			return s.bot.d.Inbounds.As(who).UpdateInboundClient(&model.Inbound{Id: in.Id, Settings: string(body)}, c.Key(string(in.Protocol)))
		}
	}
	return errs.NotFound("email", "no client with email %q", email)
}

// resetTraffic zeroes the client's up and down (the API's
// resetClientTraffic).
func (s *session) resetTraffic(who audit.Actor, email string) error {
	row, err := s.bot.d.Inbounds.GetClientTrafficByEmail(email)
	if err != nil {
		return err
	}
	return s.bot.d.Inbounds.As(who).ResetClientTraffic(row.InboundId, row.Email)
}

// extendExpiry is v3's expiry button: 0 clears the expiry; n days are
// added to a running expiry, start over (from first use) after an
// expired one, and lengthen a from-first-use duration.
func (s *session) extendExpiry(who audit.Actor, email string, days int64) error {
	row, err := s.bot.d.Inbounds.GetClientTrafficByEmail(email)
	if err != nil {
		return err
	}
	var next int64
	if days > 0 {
		switch now := time.Now().UnixMilli(); {
		case row.ExpiryTime > now:
			next = row.ExpiryTime + days*dayMs
		case row.ExpiryTime > 0:
			next = -days * dayMs
		default:
			next = row.ExpiryTime - days*dayMs
		}
	}
	return s.patchClient(who, email, map[string]any{"expiryTime": next})
}

// toggleEnable flips the client's enable switch.
func (s *session) toggleEnable(who audit.Actor, email string) error {
	return s.updateClient(who, email, func(c map[string]any) {
		on, ok := c["enable"].(bool)
		c["enable"] = ok && !on // a missing enable means enabled
	})
}

// tgUserText names the Telegram user bound to the client.
func (s *session) tgUserText(email string) string {
	l := s.cfg.lang
	_, c, err := s.bot.d.Inbounds.GetClientByEmail(email)
	if err != nil {
		return tr(l, "notFound", html.EscapeString(email))
	}
	id := tgIDOf(c.TgID)
	if id == "" || id == "0" {
		return tr(l, "tgNone", html.EscapeString(c.Email))
	}
	return tr(l, "tgBound", html.EscapeString(c.Email), html.EscapeString(id))
}

// tgUser sends (fresh) or shows in place the client's Telegram binding
// with Refresh and Remove.
func (s *session) tgUser(ctx context.Context, q *query, fresh bool, email string) {
	l := s.cfg.lang
	kb := keyboard([]telego.InlineKeyboardButton{
		button(tr(l, "btnRefresh"), s.cb("tgid_refresh "+email)), button(tr(l, "btnTgRemove"), s.cb("tgid_remove "+email)),
	})
	if fresh {
		s.send(ctx, q.chat, s.tgUserText(email), kb)
		return
	}
	s.show(ctx, q, s.tgUserText(email), kb)
}

// ipText lists the IPs recorded for the client.
func (s *session) ipText(email string) string {
	l := s.cfg.lang
	var lines []string
	if s.bot.d.IPLimit != nil {
		ips, err := s.bot.d.IPLimit.GetClientIPs(email)
		if err != nil {
			return tr(l, "failed", html.EscapeString(err.Error()))
		}
		for _, ip := range ips {
			lines = append(lines, html.EscapeString(fmt.Sprint(ip.IP)))
		}
	}
	if len(lines) == 0 {
		return tr(l, "noIPs", html.EscapeString(email))
	}
	return tr(l, "ips", html.EscapeString(email)) + "\n" + strings.Join(lines, "\n")
}

// ipLog sends (or shows in place of msgID) the client's IP log.
func (s *session) ipLog(ctx context.Context, chat int64, msgID int, email string) {
	l := s.cfg.lang
	kb := keyboard([]telego.InlineKeyboardButton{
		button(tr(l, "btnRefresh"), s.cb("ips_refresh "+email)), button(tr(l, "btnClearIPs"), s.cb("clear_ips "+email)),
	})
	if msgID != 0 {
		s.edit(ctx, chat, msgID, s.ipText(email), kb)
	} else {
		s.send(ctx, chat, s.ipText(email), kb)
	}
}

// subIDOf is the subId of the client with email ("" when none).
func (s *session) subIDOf(email string) string {
	_, c, err := s.bot.d.Inbounds.GetClientByEmail(email)
	if err != nil {
		return ""
	}
	return c.SubID
}

// sendSubLink sends the client's subscription URL.
func (s *session) sendSubLink(ctx context.Context, chat int64, email string) {
	link := s.subLink(s.subIDOf(email))
	if link == "" {
		s.send(ctx, chat, tr(s.cfg.lang, "noLink"), nil)
		return
	}
	s.send(ctx, chat, "📧 "+html.EscapeString(email)+"\n"+tr(s.cfg.lang, "subLink", "<code>"+html.EscapeString(link)+"</code>"), nil)
}

// links are the client's share links.
func (s *session) links(email string) []string {
	if s.bot.d.Links == nil {
		return nil
	}
	return s.bot.d.Links(email)
}

// sendLinks sends the client's share links (vless://, ...), one a line.
func (s *session) sendLinks(ctx context.Context, chat int64, email string) {
	ls := s.links(email)
	if len(ls) == 0 {
		s.send(ctx, chat, tr(s.cfg.lang, "noLink"), nil)
		return
	}
	var b strings.Builder
	b.WriteString("📧 " + html.EscapeString(email))
	for _, link := range ls {
		b.WriteString("\n<code>" + html.EscapeString(link) + "</code>")
	}
	s.send(ctx, chat, b.String(), nil)
}

// sendQRs sends the client's subscription URL and each share link as a
// QR code (PNG) captioned with the client's email.
func (s *session) sendQRs(ctx context.Context, chat int64, email string) {
	var all []string
	if link := s.subLink(s.subIDOf(email)); link != "" {
		all = append(all, link)
	}
	all = append(all, s.links(email)...)
	sent := false
	for _, link := range all {
		code, err := qr.Encode(link, qr.M)
		if err != nil {
			continue
		}
		sent = true
		if err := s.api.sendPhoto(ctx, chat, "qr.png", bytes.NewReader(code.PNG()), email); err != nil && ctx.Err() == nil {
			slog.Warn("telegram bot: send QR", "chat", chat, "err", err)
		}
	}
	if !sent {
		s.send(ctx, chat, tr(s.cfg.lang, "noLink"), nil)
	}
}

// inboundOf is the inbound a button names by id; nil (the chat told why
// when the read failed) when there is none.
func (s *session) inboundOf(ctx context.Context, q *query, arg string) *model.Inbound {
	id, err := strconv.Atoi(arg)
	if err != nil {
		return nil
	}
	in, err := s.bot.d.Inbounds.GetInbound(id)
	if err != nil {
		s.send(ctx, q.chat, tr(s.cfg.lang, "failed", html.EscapeString(err.Error())), nil)
		return nil
	}
	return in
}
