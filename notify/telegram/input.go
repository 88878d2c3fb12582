package telegram

import (
	"context"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"
)

// maxTypedNumber bounds a typed quota (GB), day count or IP limit, as
// v3's keypad does.
const maxTypedNumber = 999999

// await records the typed answer an admin chat owes: "draft:<field>"
// (the add-client draft's email, tg_id or comment) or a number for the
// callback data it completes ("limit_traffic_c <email>",
// "add_client_reset_exp_c", ...); "" forgets it. Another command or
// button ends the wait.
func (b *Bot) await(chat int64, what string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if what == "" {
		delete(b.awaiting, chat)
	} else {
		b.awaiting[chat] = what
	}
}

// takeAwaited returns and forgets what the chat owes ("" when nothing).
func (b *Bot) takeAwaited(chat int64) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	what := b.awaiting[chat]
	delete(b.awaiting, chat)
	return what
}

// askNumber asks for a number completing action (v3's "Custom" button);
// back is the callback data of the button that gives up.
func (s *session) askNumber(ctx context.Context, chat int64, action, back string) {
	s.bot.await(chat, action)
	s.send(ctx, chat, tr(s.cfg.lang, "customPrompt"),
		keyboard([]telego.InlineKeyboardButton{button(tr(s.cfg.lang, "btnCancel"), s.cb(back))}))
}

// typed takes an admin chat's plain text as the answer it owes.
func (s *session) typed(ctx context.Context, chat int64, text string) {
	what := s.bot.takeAwaited(chat)
	if what == "" {
		return
	}
	if field, ok := strings.CutPrefix(what, "draft:"); ok {
		s.draftInput(ctx, chat, field, text)
		return
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 0 || n > maxTypedNumber {
		s.bot.await(chat, what)
		s.send(ctx, chat, tr(s.cfg.lang, "badInput"), nil)
		return
	}
	// The number completes the callback data a preset button would have
	// sent; the answer is a new message (there is no button to edit).
	q := &query{chat: chat}
	action, rest, _ := strings.Cut(what, " ")
	if strings.HasPrefix(action, "add_client_") {
		s.draftCallback(ctx, q, action, strconv.Itoa(n))
		return
	}
	s.clientAction(ctx, q, action, rest+" "+strconv.Itoa(n))
}

// show replaces the pressed message, or sends a new one when the answer
// is to typed text.
func (s *session) show(ctx context.Context, q *query, text string, kb *Keyboard) {
	if q.msgID == 0 {
		s.send(ctx, q.chat, text, kb)
		return
	}
	s.edit(ctx, q.chat, q.msgID, text, kb)
}
