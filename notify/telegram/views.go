package telegram

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mymmrac/telego"
)

// maxCallbackData is the Bot API's limit on a button's callback data.
const maxCallbackData = 64

// maxLongCallbacks bounds the table of long callback data; when full it
// starts over, and a button from before answers "expired".
const maxLongCallbacks = 4096

// cb is data as a button's callback data: as is when it fits in the Bot
// API's 64 bytes, else (a long email) a short key kept in the bot, as
// v3 does with its hash storage.
func (s *session) cb(data string) string {
	if len(data) <= maxCallbackData {
		return data
	}
	sum := sha256.Sum256([]byte(data))
	key := "#" + hex.EncodeToString(sum[:16])
	b := s.bot
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.long) >= maxLongCallbacks {
		clear(b.long)
	}
	b.long[key] = data
	return key
}

// decodeCallback is the data a button was made with; false when it was
// a long one the bot no longer holds.
func (b *Bot) decodeCallback(data string) (string, bool) {
	if !strings.HasPrefix(data, "#") {
		return data, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	full, ok := b.long[data]
	return full, ok
}

// tgIDOf reads a client's tgId as stored by v3: a number or a string.
func tgIDOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// ownUsage is a bound client's answer: each of its clients' usage and
// subscription link.
func (s *session) ownUsage(mine []inbound.Client) string {
	if len(mine) == 0 {
		return tr(s.cfg.lang, "noClient")
	}
	parts := make([]string, 0, len(mine))
	for _, c := range mine {
		text := s.usageText(c.Email)
		if link := s.subLink(c.SubID); link != "" {
			text += "\n" + tr(s.cfg.lang, "subLink", html.EscapeString(link))
		}
		parts = append(parts, text)
	}
	return strings.Join(parts, "\n\n")
}

// subLink is the subscription URL of subID ("" when there is none).
func (s *session) subLink(subID string) string {
	if s.bot.d.SubLink == nil || subID == "" {
		return ""
	}
	return s.bot.d.SubLink(subID)
}

func (s *session) usageText(email string) string {
	l := s.cfg.lang
	row, err := s.bot.d.Inbounds.GetClientTrafficByEmail(email)
	if err != nil {
		return tr(l, "notFound", html.EscapeString(email))
	}
	total := tr(l, "unlimited")
	if row.Total > 0 {
		total = formatBytes(row.Total)
	}
	enabled := tr(l, "no")
	if row.Enable {
		enabled = tr(l, "yes")
	}
	return tr(l, "usage", html.EscapeString(row.Email), enabled, formatBytes(row.Up), formatBytes(row.Down),
		formatBytes(row.Up+row.Down), total, s.expiryText(row.ExpiryTime))
}

func (s *session) expiryText(ms int64) string {
	switch {
	case ms == 0:
		return tr(s.cfg.lang, "never")
	case ms < 0: // a duration that starts at first use
		return tr(s.cfg.lang, "afterFirstUse", -ms/int64(24*time.Hour/time.Millisecond))
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04 UTC")
}

func (s *session) inboundsText(filter string) string {
	ins, err := s.bot.d.Inbounds.GetAllInbounds()
	if err != nil {
		return html.EscapeString(err.Error())
	}
	var parts []string
	for _, in := range ins {
		if filter != "" && !strings.Contains(strings.ToLower(in.Remark), strings.ToLower(filter)) {
			continue
		}
		clients, _ := inbound.ParseInboundClients(in.Settings)
		parts = append(parts, tr(s.cfg.lang, "inbound", html.EscapeString(in.Remark), in.Protocol, in.Port,
			formatBytes(in.Up), formatBytes(in.Down), len(clients)))
	}
	if len(parts) == 0 {
		return tr(s.cfg.lang, "noInbounds")
	}
	return strings.Join(parts, "\n\n")
}

// inboundPicker sends a button per inbound whose data is next + its id
// (the client list, or the add-client draft).
func (s *session) inboundPicker(ctx context.Context, q *query, next, prompt string) {
	ins, err := s.bot.d.Inbounds.GetAllInbounds()
	if err != nil {
		s.send(ctx, q.chat, tr(s.cfg.lang, "failed", html.EscapeString(err.Error())), nil)
		return
	}
	var rows [][]telego.InlineKeyboardButton
	for _, in := range ins {
		state := "✅"
		if !in.Enable {
			state = "❌"
		}
		label := fmt.Sprintf("%s %s (%s:%d)", state, in.Remark, in.Protocol, in.Port)
		rows = append(rows, []telego.InlineKeyboardButton{button(label, next+" "+strconv.Itoa(in.Id))})
	}
	if len(rows) == 0 {
		s.send(ctx, q.chat, tr(s.cfg.lang, "noInbounds"), nil)
		return
	}
	s.send(ctx, q.chat, tr(s.cfg.lang, prompt), keyboard(rows...))
}

func (s *session) statusText() string {
	l := s.cfg.lang
	st := s.bot.d.Status.GetStatus()
	state := tr(l, "xrayNotRunning")
	if st.Xray.State == "running" {
		state = tr(l, "xrayRunning")
	}
	online := 0
	if s.bot.d.Xray != nil {
		online = len(s.bot.d.Xray.GetOnlineClients())
	}
	return tr(l, "status", state, html.EscapeString(st.Xray.Version), st.Cpu,
		formatBytes(int64(st.Mem.Current)), formatBytes(int64(st.Mem.Total)),
		(time.Duration(st.Uptime) * time.Second).String(), online)
}

// maxListButtons bounds the per-client buttons under a list message.
const maxListButtons = 50

// emailButtons is a keyboard of client_get_usage buttons (three a row)
// for the first maxListButtons emails, then extra rows.
func (s *session) emailButtons(emails []string, extra ...[]telego.InlineKeyboardButton) *Keyboard {
	return s.actionButtons("client_get_usage", emails, extra...)
}

// actionButtons is emailButtons sending action + " " + email.
func (s *session) actionButtons(action string, emails []string, extra ...[]telego.InlineKeyboardButton) *Keyboard {
	var rows [][]telego.InlineKeyboardButton
	var row []telego.InlineKeyboardButton
	for i, e := range emails {
		if i == maxListButtons {
			break
		}
		row = append(row, button(e, s.cb(action+" "+e)))
		if len(row) == 3 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return keyboard(append(rows, extra...)...)
}

// onlines is v3's online list: the count, the names and a button per
// client opening its card, with Refresh.
func (s *session) onlines() (string, *Keyboard) {
	var names []string
	if s.bot.d.Xray != nil {
		names = append(names, s.bot.d.Xray.GetOnlineClients()...)
	}
	sort.Strings(names)
	escaped := make([]string, len(names))
	for i := range names {
		escaped[i] = html.EscapeString(names[i])
	}
	kb := s.emailButtons(names, []telego.InlineKeyboardButton{button(tr(s.cfg.lang, "btnRefresh"), "onlines_refresh")})
	return tr(s.cfg.lang, "onlines", len(names), strings.Join(escaped, ", ")), kb
}

// depletion is how close a client_traffics row is to running out:
// out (quota used up or expired), soon (under 10 % of its quota left or
// expiring within 3 days) or neither.
func depletion(row *xray.ClientTraffic, now int64) (out, soon bool) {
	used := row.Up + row.Down
	out = (row.Total > 0 && used >= row.Total) || (row.ExpiryTime > 0 && row.ExpiryTime <= now)
	low := row.Total > 0 && (row.Total-used)*10 < row.Total
	expiring := row.ExpiryTime > 0 && row.ExpiryTime < now+3*dayMs
	return out || (!row.Enable && (low || expiring)), row.Enable && !out && (low || expiring)
}

// sendDeplete lists the enabled clients within 3 days of expiry or with
// less than 10 % of their quota left, and the clients already disabled
// by quota or expiry (v3's "about to deplete" button), with a button per
// client opening its card.
func (s *session) sendDeplete(ctx context.Context, chat int64) {
	l := s.cfg.lang
	ins, err := s.bot.d.Inbounds.GetAllInbounds()
	if err != nil {
		s.send(ctx, chat, tr(l, "failed", html.EscapeString(err.Error())), nil)
		return
	}
	now := time.Now().UnixMilli()
	var soonParts, doneParts, emails []string
	for _, in := range ins {
		for i := range in.ClientStats {
			row := &in.ClientStats[i]
			out, soon := depletion(row, now)
			if !out && !soon {
				continue
			}
			left := tr(l, "unlimited")
			if row.Total > 0 {
				left = formatBytes(max(row.Total-row.Up-row.Down, 0))
			}
			line := tr(l, "deplete", html.EscapeString(row.Email), left, s.expiryText(row.ExpiryTime))
			if out {
				doneParts = append(doneParts, line)
			} else {
				soonParts = append(soonParts, line)
			}
			emails = append(emails, row.Email)
		}
	}
	if len(emails) == 0 {
		s.send(ctx, chat, tr(l, "depleteNone"), nil)
		return
	}
	var b strings.Builder
	if len(soonParts) > 0 {
		b.WriteString(tr(l, "depleteSoon", len(soonParts)) + "\n" + strings.Join(soonParts, "\n"))
	}
	if len(doneParts) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(tr(l, "depleted", len(doneParts)) + "\n" + strings.Join(doneParts, "\n"))
	}
	s.send(ctx, chat, b.String(), s.emailButtons(emails))
}

// notifyBound tells each chat bound by tgId about its own clients that
// ran out or are about to (v3.6's report does): its usage, nobody else's.
func (s *session) notifyBound(ctx context.Context) {
	ins, err := s.bot.d.Inbounds.GetAllInbounds()
	if err != nil {
		slog.Warn("telegram bot: report", "err", err)
		return
	}
	now := time.Now().UnixMilli()
	for _, in := range ins {
		clients, err := inbound.ParseInboundClients(in.Settings)
		if err != nil {
			continue
		}
		tg := map[string]int64{}
		for _, c := range clients {
			if id, err := strconv.ParseInt(tgIDOf(c.TgID), 10, 64); err == nil && id != 0 {
				tg[strings.ToLower(c.Email)] = id
			}
		}
		for i := range in.ClientStats {
			row := &in.ClientStats[i]
			chat, bound := tg[strings.ToLower(row.Email)]
			if out, soon := depletion(row, now); bound && (out || soon) {
				s.send(ctx, chat, tr(s.cfg.lang, "depleteNotice")+"\n\n"+s.usageText(row.Email), nil)
			}
		}
	}
}

// sendSortedUsage is v3's sorted traffic report: every client with its
// traffic, most used first.
func (s *session) sendSortedUsage(ctx context.Context, chat int64) {
	l := s.cfg.lang
	ins, err := s.bot.d.Inbounds.GetAllInbounds()
	if err != nil {
		s.send(ctx, chat, tr(l, "failed", html.EscapeString(err.Error())), nil)
		return
	}
	type usage struct {
		email string
		used  int64
		total int64
	}
	var rows []usage
	for _, in := range ins {
		for _, st := range in.ClientStats {
			rows = append(rows, usage{st.Email, st.Up + st.Down, st.Total})
		}
	}
	if len(rows) == 0 {
		s.send(ctx, chat, tr(l, "noClients", "-"), nil)
		return
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].used != rows[j].used {
			return rows[i].used > rows[j].used
		}
		return rows[i].email < rows[j].email
	})
	lines := []string{tr(l, "sortedUsage")}
	for i, r := range rows {
		total := tr(l, "unlimited")
		if r.total > 0 {
			total = formatBytes(r.total)
		}
		lines = append(lines, fmt.Sprintf("%d. <b>%s</b>: %s / %s", i+1, html.EscapeString(r.email), formatBytes(r.used), total))
	}
	s.send(ctx, chat, strings.Join(lines, "\n"), nil)
}

// sendBackup sends the database as a document: the SQLite file or, on
// MariaDB, the JSON dump ops.Backups exports (both restore through
// the panel's backup import).
func (s *session) sendBackup(ctx context.Context, chat int64) {
	l := s.cfg.lang
	b, err := s.bot.d.Backups.CreateBackup()
	if err != nil {
		s.send(ctx, chat, tr(l, "backupFailed", html.EscapeString(err.Error())), nil)
		return
	}
	defer b.Remove()
	f, err := os.Open(b.Path)
	if err != nil {
		s.send(ctx, chat, tr(l, "backupFailed", html.EscapeString(err.Error())), nil)
		return
	}
	defer f.Close()
	caption := tr(l, "backupCaption", html.EscapeString(s.bot.host))
	if err := s.api.sendDocument(ctx, chat, b.FileName, f, caption); err != nil {
		if ctx.Err() == nil {
			slog.Warn("telegram bot: send backup", "chat", chat, "err", err)
		}
	} else if s.bot.d.BackupSent != nil {
		s.bot.d.BackupSent(b.FileName, b.Path, strconv.FormatInt(chat, 10))
	}
}

func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.2f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
