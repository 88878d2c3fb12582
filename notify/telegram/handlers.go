package telegram

import (
	"context"
	"html"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mymmrac/telego"
)

// session answers updates with one configuration.
type session struct {
	bot      *Bot
	api      *api
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

func (s *session) handle(ctx context.Context, u *telego.Update) {
	switch {
	case u.Message != nil && u.Message.From != nil:
		if strings.HasPrefix(u.Message.Text, "/") {
			s.command(ctx, u.Message)
		} else {
			s.text(ctx, u.Message)
		}
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil:
		s.callback(ctx, u.CallbackQuery)
	}
}

// text is a plain message: the answer to a question the bot asked an
// admin's chat (see input.go), else nothing was asked.
func (s *session) text(ctx context.Context, m *telego.Message) {
	if r, _ := s.roleOf(m.From.ID, m.Chat.ID); r == admin {
		s.typed(ctx, m.Chat.ID, strings.TrimSpace(m.Text))
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
		if _, err := s.api.sendMessage(ctx, chatID, part, k); err != nil {
			if ctx.Err() == nil {
				slog.Warn("telegram bot: send", "chat", chatID, "err", err)
			}
			return
		}
	}
}

// edit replaces a message's text and keyboard (nil removes it): a
// confirm question becomes its answer, so it cannot be pressed twice.
func (s *session) edit(ctx context.Context, chat int64, msgID int, text string, kb *Keyboard) {
	if err := s.api.editMessage(ctx, chat, msgID, text, kb); err != nil && ctx.Err() == nil {
		slog.Warn("telegram bot: edit", "err", err)
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

func (s *session) command(ctx context.Context, m *telego.Message) {
	lang, chat, from := s.cfg.lang, m.Chat.ID, m.From
	cmd, target, args := parseCommand(m.Text)
	if cmd == "" {
		return
	}
	if target != "" && s.username != "" && !strings.EqualFold(target, s.username) {
		return // in a group: a command for another bot
	}
	// A command ends a pending question (input.go).
	s.bot.await(chat, "")
	// Anyone may learn their id, to ask an admin for access.
	if cmd == "id" {
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
		s.clientCard(ctx, chat, 0, args[0])
	case "inbound":
		s.send(ctx, chat, s.inboundsText(strings.Join(args, " ")), nil)
	case "restart":
		s.send(ctx, chat, tr(lang, "restartAsk"), s.confirm("restart_c", "restart_cancel"))
	case "clearall":
		s.send(ctx, chat, tr(lang, "clearAllAsk"), s.confirm("reset_all_traffics_c", "reset_all_traffics_cancel"))
	default:
		s.send(ctx, chat, tr(lang, "unknown"), nil)
	}
}

// confirm is a Confirm / Cancel keyboard.
func (s *session) confirm(yes, no string) *Keyboard {
	return keyboard([]telego.InlineKeyboardButton{
		button(tr(s.cfg.lang, "btnConfirm"), s.cb(yes)), button(tr(s.cfg.lang, "btnCancel"), s.cb(no)),
	})
}

// adminMenu is v3.6's admin keyboard, with its callback data.
func (s *session) adminMenu() *Keyboard {
	l := s.cfg.lang
	return keyboard(
		[]telego.InlineKeyboardButton{button(tr(l, "btnUsage"), "get_usage"), button(tr(l, "btnResetAll"), "reset_all_traffics")},
		[]telego.InlineKeyboardButton{button(tr(l, "btnBackup"), "get_backup"), button(tr(l, "btnRestart"), "restart")},
		[]telego.InlineKeyboardButton{button(tr(l, "btnInbounds"), "inbounds"), button(tr(l, "btnDeplete"), "deplete_soon")},
		[]telego.InlineKeyboardButton{button(tr(l, "btnCommands"), "commands"), button(tr(l, "btnOnlines"), "onlines")},
		[]telego.InlineKeyboardButton{button(tr(l, "btnAllClients"), "get_inbounds"), button(tr(l, "btnAddClient"), "add_client")},
		[]telego.InlineKeyboardButton{button(tr(l, "btnSorted"), "get_sorted_traffic_usage_report")},
		[]telego.InlineKeyboardButton{button(tr(l, "btnSubLinks"), "admin_client_sub_links"), button(tr(l, "btnLinks"), "admin_client_individual_links"),
			button(tr(l, "btnQR"), "admin_client_qr_links")},
	)
}

// clientMenu is a bound client's keyboard.
func (s *session) clientMenu() *Keyboard {
	l := s.cfg.lang
	return keyboard(
		[]telego.InlineKeyboardButton{button(tr(l, "btnMyUsage"), "client_traffic"), button(tr(l, "btnCommands"), "client_commands")},
		[]telego.InlineKeyboardButton{button(tr(l, "btnSubLinks"), "client_sub_links"), button(tr(l, "btnLinks"), "client_individual_links")},
		[]telego.InlineKeyboardButton{button(tr(l, "btnQR"), "client_qr_links")},
	)
}

// query is one button press being answered.
type query struct {
	id    string
	chat  int64
	msgID int
	from  int64
	// note is the toast the press is answered with, set once.
	note  string
	noted bool
}

// toast sets the text the button's spinner stops with (the first one
// set wins). The answer itself goes last, after everything the press
// did, so a client that sees it knows the press was handled.
func (s *session) toast(q *query, text string) {
	if !q.noted {
		q.note, q.noted = text, true
	}
}

func (s *session) answer(ctx context.Context, q *query) {
	if err := s.api.answerCallback(ctx, q.id, q.note); err != nil && ctx.Err() == nil {
		slog.Warn("telegram bot: answer callback", "err", err)
	}
}

func (s *session) callback(ctx context.Context, cq *telego.CallbackQuery) {
	q := &query{id: cq.ID, chat: cq.Message.GetChat().ID, msgID: cq.Message.GetMessageID(), from: cq.From.ID}
	defer s.answer(ctx, q)
	lang := s.cfg.lang
	r, mine := s.roleOf(q.from, q.chat)
	if r == stranger {
		s.send(ctx, q.chat, tr(lang, "refused", q.from), nil)
		return
	}
	data, ok := s.bot.decodeCallback(cq.Data)
	if !ok {
		s.toast(q, tr(lang, "expired"))
		return
	}
	if r == client {
		s.clientCallback(ctx, q, data, mine)
		return // admin buttons mean nothing from a client chat
	}
	action, arg, _ := strings.Cut(data, " ")
	s.bot.await(q.chat, "") // a button ends a pending question
	if strings.HasPrefix(action, "add_client_") {
		s.draftCallback(ctx, q, action, arg)
		return
	}
	if arg != "" {
		s.clientAction(ctx, q, action, arg)
		return
	}
	switch action {
	case "get_usage": // v3's name: the server's usage
		s.send(ctx, q.chat, s.statusText(), keyboard([]telego.InlineKeyboardButton{button(tr(lang, "btnRefresh"), "usage_refresh")}))
	case "usage_refresh":
		s.edit(ctx, q.chat, q.msgID, s.statusText(), keyboard([]telego.InlineKeyboardButton{button(tr(lang, "btnRefresh"), "usage_refresh")}))
	case "commands":
		s.send(ctx, q.chat, tr(lang, "helpAdmin"), nil)
	case "inbounds":
		s.send(ctx, q.chat, s.inboundsText(""), nil)
	case "deplete_soon":
		s.sendDeplete(ctx, q.chat)
	case "get_backup":
		s.sendBackup(ctx, q.chat)
	case "onlines":
		text, kb := s.onlines()
		s.send(ctx, q.chat, text, kb)
	case "onlines_refresh":
		text, kb := s.onlines()
		s.edit(ctx, q.chat, q.msgID, text, kb)
	case "restart":
		s.send(ctx, q.chat, tr(lang, "restartAsk"), s.confirm("restart_c", "restart_cancel"))
	case "restart_c":
		text := tr(lang, "restartDone")
		if s.bot.d.Xray == nil {
			text = tr(lang, "restartFailed", tr(lang, "xrayNotRunning"))
		} else if err := s.bot.d.Xray.RestartXray(true); err != nil {
			text = tr(lang, "restartFailed", html.EscapeString(err.Error()))
		} else if s.bot.d.Audit != nil {
			actor := audit.Bot(q.chat, "restart_c")
			if err := s.bot.d.Audit.Action(actor, audit.Entry{Action: "xray.restart", TargetKind: "xray"}); err != nil {
				slog.Warn("telegram bot: audit", "err", err)
			}
		}
		s.edit(ctx, q.chat, q.msgID, text, nil)
	case "restart_cancel", "reset_all_traffics_cancel":
		s.edit(ctx, q.chat, q.msgID, tr(lang, "cancelled"), nil)
	case "reset_all_traffics":
		s.send(ctx, q.chat, tr(lang, "clearAllAsk"), s.confirm("reset_all_traffics_c", "reset_all_traffics_cancel"))
	case "reset_all_traffics_c":
		// v3.6 resets each client in turn; here it is the API's
		// resetAllClientTraffics/-1: every client in one transaction.
		text := tr(lang, "clearAllDone")
		if err := s.bot.d.Inbounds.As(audit.Bot(q.chat, "reset_all_traffics_c")).ResetAllClientTraffics(-1); err != nil {
			text = tr(lang, "failed", html.EscapeString(err.Error()))
		}
		s.edit(ctx, q.chat, q.msgID, text, nil)
	case "get_inbounds":
		s.inboundPicker(ctx, q, "get_clients", "chooseInbound")
	case "add_client":
		s.inboundPicker(ctx, q, "add_client_to", "chooseInboundAdd")
	case "admin_client_sub_links":
		s.inboundPicker(ctx, q, "get_clients_for_sub", "chooseInbound")
	case "admin_client_individual_links":
		s.inboundPicker(ctx, q, "get_clients_for_individual", "chooseInbound")
	case "admin_client_qr_links":
		s.inboundPicker(ctx, q, "get_clients_for_qr", "chooseInbound")
	case "get_sorted_traffic_usage_report":
		s.sendSortedUsage(ctx, q.chat)
	}
}

// clientCallback answers a bound client's buttons: each shows its own
// clients only, whatever the data names.
func (s *session) clientCallback(ctx context.Context, q *query, data string, mine []inbound.Client) {
	lang := s.cfg.lang
	switch data {
	case "client_traffic":
		s.send(ctx, q.chat, s.ownUsage(mine), nil)
	case "client_commands":
		s.send(ctx, q.chat, tr(lang, "helpClient"), nil)
	case "client_sub_links":
		for _, c := range mine {
			s.sendSubLink(ctx, q.chat, c.Email)
		}
	case "client_individual_links":
		for _, c := range mine {
			s.sendLinks(ctx, q.chat, c.Email)
		}
	case "client_qr_links", "client_qr":
		for _, c := range mine {
			s.sendQRs(ctx, q.chat, c.Email)
		}
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
