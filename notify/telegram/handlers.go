package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mhsanaei/3x-ui/v2/inbound"
	"rsc.io/qr"
)

// session answers updates with one configuration.
type session struct {
	bot      *Bot
	api      *Client
	cfg      *config
	username string // the bot's, from getMe ("" when getMe failed)
}

// role is who a chat is: an admin (tgBotChatId), a client bound by tgId,
// or a stranger.
type role int

const (
	stranger role = iota
	client
	admin
)

func (s *session) roleOf(userID, chatID int64) (role, []inbound.Client) {
	if s.cfg.admins[userID] || s.cfg.admins[chatID] {
		return admin, nil
	}
	if mine := s.clientsOf(userID); len(mine) > 0 {
		return client, mine
	}
	return stranger, nil
}

func (s *session) handle(ctx context.Context, u Update) {
	switch {
	case u.Message != nil && u.Message.From != nil:
		s.command(ctx, u.Message)
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil:
		s.callback(ctx, u.CallbackQuery)
	}
}

// send sends text in as many messages as Telegram's length limit needs,
// the keyboard under the last.
func (s *session) send(ctx context.Context, chatID int64, text string, kb *Keyboard) {
	parts := splitText(text)
	for i, part := range parts {
		var k *Keyboard
		if i == len(parts)-1 {
			k = kb
		}
		if err := s.api.SendMessage(ctx, chatID, part, k); err != nil {
			if ctx.Err() == nil {
				slog.Warn("telegram bot: send", "chat", chatID, "err", err)
			}
			return
		}
	}
}

// maxText keeps a message under Telegram's 4096-character limit (counted
// after HTML parsing, so bytes are a safe upper bound).
const maxText = 4000

// splitText cuts text at line ends into parts of at most maxText bytes;
// a longer line is cut at a character boundary. The bot's tags never
// span lines, so each part stays valid HTML.
func splitText(text string) []string {
	if len(text) <= maxText {
		return []string{text}
	}
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		for len(line) > maxText {
			flush()
			cut := maxText
			for !utf8.RuneStart(line[cut]) {
				cut--
			}
			out = append(out, line[:cut])
			line = line[cut:]
		}
		if cur.Len()+len(line) > maxText {
			flush()
		}
		cur.WriteString(line)
	}
	flush()
	return out
}

// parseCommand splits "/usage@bot a b" into "usage", "bot" and the
// arguments.
func parseCommand(text string) (cmd, target string, args []string) {
	fields := strings.Fields(text)
	if len(fields) == 0 || !strings.HasPrefix(fields[0], "/") {
		return "", "", nil
	}
	cmd, target, _ = strings.Cut(strings.TrimPrefix(fields[0], "/"), "@")
	return strings.ToLower(cmd), target, fields[1:]
}

func (s *session) command(ctx context.Context, m *Message) {
	lang, chat, from := s.cfg.lang, m.Chat.ID, m.From
	cmd, target, args := parseCommand(m.Text)
	if cmd == "" {
		return // plain text: nothing asked
	}
	if target != "" && s.username != "" && !strings.EqualFold(target, s.username) {
		return // in a group: a command for another bot
	}
	if cmd == "id" { // anyone may learn their id, to ask an admin for access
		s.send(ctx, chat, tr(lang, "id", from.ID), nil)
		return
	}
	r, mine := s.roleOf(from.ID, chat)
	if r == stranger {
		s.send(ctx, chat, tr(lang, "refused", from.ID), nil)
		return
	}
	if r == client {
		switch cmd {
		case "start", "help":
			text := tr(lang, "start", html.EscapeString(from.FirstName)) + "\n\n" + tr(lang, "helpClient")
			s.send(ctx, chat, text, s.clientMenu())
		case "usage":
			s.send(ctx, chat, s.ownUsage(mine), nil)
		default:
			s.send(ctx, chat, tr(lang, "unknown"), nil)
		}
		return
	}
	switch cmd {
	case "start":
		text := tr(lang, "start", html.EscapeString(from.FirstName)) + "\n" + tr(lang, "welcomeAdmin", html.EscapeString(s.bot.host)) + "\n\n" + tr(lang, "choose")
		s.send(ctx, chat, text, s.adminMenu())
	case "help":
		s.send(ctx, chat, tr(lang, "helpAdmin")+"\n\n"+tr(lang, "choose"), s.adminMenu())
	case "status":
		s.send(ctx, chat, s.statusText(), nil)
	case "usage":
		if len(args) == 0 {
			s.send(ctx, chat, tr(lang, "usagePrompt"), nil)
			return
		}
		s.send(ctx, chat, s.usageText(args[0]), nil)
	case "inbound":
		s.send(ctx, chat, s.inboundsText(strings.Join(args, " ")), nil)
	case "restart":
		s.send(ctx, chat, tr(lang, "restartAsk"), &Keyboard{InlineKeyboard: [][]Button{{
			{Text: tr(lang, "btnConfirm"), CallbackData: "restart_c"},
			{Text: tr(lang, "btnCancel"), CallbackData: "restart_cancel"},
		}}})
	default:
		s.send(ctx, chat, tr(lang, "unknown"), nil)
	}
}

func (s *session) adminMenu() *Keyboard {
	l := s.cfg.lang
	return &Keyboard{InlineKeyboard: [][]Button{
		{{Text: tr(l, "btnUsage"), CallbackData: "get_usage"}, {Text: tr(l, "btnCommands"), CallbackData: "commands"}},
		{{Text: tr(l, "btnInbounds"), CallbackData: "inbounds"}, {Text: tr(l, "btnDeplete"), CallbackData: "deplete_soon"}},
		{{Text: tr(l, "btnBackup"), CallbackData: "get_backup"}, {Text: tr(l, "btnOnlines"), CallbackData: "onlines"}},
		{{Text: tr(l, "btnRestart"), CallbackData: "restart"}},
	}}
}

func (s *session) clientMenu() *Keyboard {
	l := s.cfg.lang
	return &Keyboard{InlineKeyboard: [][]Button{{
		{Text: tr(l, "btnMyUsage"), CallbackData: "client_traffic"},
		{Text: tr(l, "btnQR"), CallbackData: "client_qr"},
		{Text: tr(l, "btnCommands"), CallbackData: "client_commands"},
	}}}
}

func (s *session) callback(ctx context.Context, q *CallbackQuery) {
	lang, chat := s.cfg.lang, q.Message.Chat.ID
	r, mine := s.roleOf(q.From.ID, chat)
	if err := s.api.AnswerCallbackQuery(ctx, q.ID, ""); err != nil && ctx.Err() == nil {
		slog.Warn("telegram bot: answer callback", "err", err)
	}
	if r == stranger {
		s.send(ctx, chat, tr(lang, "refused", q.From.ID), nil)
		return
	}
	if r == client {
		switch q.Data {
		case "client_traffic":
			s.send(ctx, chat, s.ownUsage(mine), nil)
		case "client_qr":
			s.sendQRs(ctx, chat, mine)
		case "client_commands":
			s.send(ctx, chat, tr(lang, "helpClient"), nil)
		}
		return // admin buttons mean nothing from a client chat
	}
	switch q.Data {
	case "get_usage": // v3's name: the server's usage
		s.send(ctx, chat, s.statusText(), nil)
	case "commands":
		s.send(ctx, chat, tr(lang, "helpAdmin"), nil)
	case "inbounds":
		s.send(ctx, chat, s.inboundsText(""), nil)
	case "deplete_soon":
		s.send(ctx, chat, s.depleteText(), nil)
	case "get_backup":
		s.sendBackup(ctx, chat)
	case "onlines":
		s.send(ctx, chat, s.onlinesText(), nil)
	case "restart":
		s.send(ctx, chat, tr(lang, "restartAsk"), &Keyboard{InlineKeyboard: [][]Button{{
			{Text: tr(lang, "btnConfirm"), CallbackData: "restart_c"},
			{Text: tr(lang, "btnCancel"), CallbackData: "restart_cancel"},
		}}})
	case "restart_c":
		text := tr(lang, "restartDone")
		if s.bot.d.Xray == nil {
			text = tr(lang, "restartFailed", tr(lang, "xrayNotRunning"))
		} else if err := s.bot.d.Xray.RestartXray(true); err != nil {
			text = tr(lang, "restartFailed", html.EscapeString(err.Error()))
		}
		s.edit(ctx, q.Message, text)
	case "restart_cancel":
		s.edit(ctx, q.Message, tr(lang, "cancelled"))
	}
}

// edit replaces the confirm question, so its buttons cannot be pressed twice.
func (s *session) edit(ctx context.Context, m *Message, text string) {
	if err := s.api.EditMessageText(ctx, m.Chat.ID, m.MessageID, text, nil); err != nil && ctx.Err() == nil {
		slog.Warn("telegram bot: edit", "err", err)
	}
}

// clientsOf are the clients whose tgId is this Telegram user id.
func (s *session) clientsOf(userID int64) []inbound.Client {
	ins, err := s.bot.d.Inbounds.GetAllInbounds()
	if err != nil {
		slog.Warn("telegram bot: inbounds", "err", err)
		return nil
	}
	want := strconv.FormatInt(userID, 10)
	var out []inbound.Client
	for _, in := range ins {
		clients, err := inbound.ParseInboundClients(in.Settings)
		if err != nil {
			continue
		}
		for _, c := range clients {
			if tgIDOf(c.TgID) == want {
				out = append(out, c)
			}
		}
	}
	return out
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

func (s *session) ownUsage(mine []inbound.Client) string {
	if len(mine) == 0 {
		return tr(s.cfg.lang, "noClient")
	}
	parts := make([]string, 0, len(mine))
	for _, c := range mine {
		text := s.usageText(c.Email)
		if s.bot.d.SubLink != nil && c.SubID != "" {
			if link := s.bot.d.SubLink(c.SubID); link != "" {
				text += "\n" + tr(s.cfg.lang, "subLink", html.EscapeString(link))
			}
		}
		parts = append(parts, text)
	}
	return strings.Join(parts, "\n\n")
}

// sendQRs sends each of the client's subscription links as a QR code
// (PNG) captioned with the client's email.
func (s *session) sendQRs(ctx context.Context, chat int64, mine []inbound.Client) {
	sent := false
	for _, c := range mine {
		if s.bot.d.SubLink == nil || c.SubID == "" {
			continue
		}
		link := s.bot.d.SubLink(c.SubID)
		if link == "" {
			continue
		}
		code, err := qr.Encode(link, qr.M)
		if err != nil {
			continue
		}
		sent = true
		if err := s.api.SendPhoto(ctx, chat, "qr.png", bytes.NewReader(code.PNG()), c.Email); err != nil && ctx.Err() == nil {
			slog.Warn("telegram bot: send QR", "chat", chat, "err", err)
		}
	}
	if !sent {
		s.send(ctx, chat, tr(s.cfg.lang, "noLink"), nil)
	}
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
		return fmt.Sprintf("%dd", -ms/int64(24*time.Hour/time.Millisecond))
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

func (s *session) onlinesText() string {
	var names []string
	if s.bot.d.Xray != nil {
		names = append(names, s.bot.d.Xray.GetOnlineClients()...)
	}
	sort.Strings(names)
	for i := range names {
		names[i] = html.EscapeString(names[i])
	}
	return tr(s.cfg.lang, "onlines", len(names), strings.Join(names, ", "))
}

// depleteText lists enabled clients within 3 days of expiry or with less
// than 10 % of their quota left (v3's "about to deplete" button).
func (s *session) depleteText() string {
	ins, err := s.bot.d.Inbounds.GetAllInbounds()
	if err != nil {
		return html.EscapeString(err.Error())
	}
	now := time.Now().UnixMilli()
	soon := now + int64(3*24*time.Hour/time.Millisecond)
	var parts []string
	for _, in := range ins {
		for _, row := range in.ClientStats {
			used := row.Up + row.Down
			low := row.Total > 0 && (row.Total-used)*10 < row.Total
			expiring := row.ExpiryTime > 0 && row.ExpiryTime < soon
			if !row.Enable || (!low && !expiring) {
				continue
			}
			left := tr(s.cfg.lang, "unlimited")
			if row.Total > 0 {
				left = formatBytes(max(row.Total-used, 0))
			}
			parts = append(parts, tr(s.cfg.lang, "deplete", html.EscapeString(row.Email), left, s.expiryText(row.ExpiryTime)))
		}
	}
	if len(parts) == 0 {
		return tr(s.cfg.lang, "depleteNone")
	}
	return strings.Join(parts, "\n")
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
	if err := s.api.SendDocument(ctx, chat, b.FileName, f, caption); err != nil {
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
