// Package telegram is the panel's Telegram bot (3x-ui v3.6's commands,
// admin menus, client self-service and database backups) over
// github.com/mymmrac/telego, the maintained Bot API client 3x-ui uses.
// The bot speaks the documented Bot API over HTTP
// (https://core.telegram.org/bots/api), so any Bot API server
// (api.telegram.org, a self-hosted telegram-bot-api, a test's own) serves it.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
	tu "github.com/mymmrac/telego/telegoutil"
)

// DefaultAPIServer is Telegram's own Bot API server (tgBotAPIServer empty).
const DefaultAPIServer = "https://api.telegram.org"

// Keyboard is an inline keyboard (the library's type).
type Keyboard = telego.InlineKeyboardMarkup

// button is one inline button that sends data back.
func button(text, data string) telego.InlineKeyboardButton {
	return telego.InlineKeyboardButton{Text: text, CallbackData: data}
}

// keyboard builds an inline keyboard from rows of buttons.
func keyboard(rows ...[]telego.InlineKeyboardButton) *Keyboard {
	return &Keyboard{InlineKeyboard: rows}
}

// api is one bot token on one Bot API server, through the library.
type api struct {
	bot *telego.Bot
}

// newAPI is the library's bot for token on server (empty: Telegram's).
// It calls through net/http rather than telego's default fasthttp: an
// http.Transport honours tgBotProxy for socks5 and http(s) proxies alike
// and a request's context cancels a long poll at once. hc, when not nil,
// is used as is (its transport decides the proxy).
func newAPI(server, token, proxy string, hc *http.Client) (*api, error) {
	if server == "" {
		server = DefaultAPIServer
	}
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if proxy != "" {
			u, err := url.Parse(proxy)
			if err != nil {
				return nil, fmt.Errorf("tgBotProxy: %w", err)
			}
			tr.Proxy = http.ProxyURL(u)
		}
		hc = &http.Client{Transport: tr}
	}
	b, err := telego.NewBot(token,
		telego.WithAPIServer(strings.TrimRight(server, "/")),
		telego.WithAPICaller(redactingCaller{next: ta.HTTPCaller{Client: hc}}),
		telego.WithLogger(slogLogger{token: token}))
	if err != nil {
		return nil, err
	}
	return &api{bot: b}, nil
}

// redactingCaller drops the request URL, which holds the token, from
// transport errors before they reach a log line.
type redactingCaller struct{ next ta.Caller }

func (c redactingCaller) Call(ctx context.Context, u string, data *ta.RequestData) (*ta.Response, error) {
	resp, err := c.next.Call(ctx, u, data)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("%s: %w", methodOf(u), ue.Err)
	}
	return resp, err
}

// methodOf is the Bot API method at the end of a request URL.
func methodOf(u string) string {
	return u[strings.LastIndexByte(u, '/')+1:]
}

// slogLogger routes the library's error lines to the panel's log, the
// token replaced; its debug lines (request bodies) are dropped.
type slogLogger struct{ token string }

func (l slogLogger) Debugf(string, ...any) {}

func (l slogLogger) Errorf(format string, args ...any) {
	slog.Debug("telegram bot: library", "msg", strings.ReplaceAll(fmt.Sprintf(format, args...), l.token, "<token>"))
}

// retryAfter is a 429's retry_after in seconds (0 otherwise).
func retryAfter(err error) int {
	var apiErr *ta.Error
	if errors.As(err, &apiErr) && apiErr.Parameters != nil {
		return apiErr.Parameters.RetryAfter
	}
	return 0
}

func (a *api) getMe(ctx context.Context) (*telego.User, error) {
	return a.bot.GetMe(ctx)
}

// pollGrace is how much longer than its long-poll timeout a getUpdates
// may take before it is given up: a connection silently dropped on the
// way (a NAT, a proxy) would otherwise hold the bot forever.
const pollGrace = 30 * time.Second

// getUpdates long-polls for updates from offset on, waiting up to
// timeout seconds.
func (a *api) getUpdates(ctx context.Context, offset int64, timeout int) ([]telego.Update, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(timeout)*time.Second+pollGrace)
	defer cancel()
	return a.bot.GetUpdates(ctx, &telego.GetUpdatesParams{
		Offset: int(offset), Timeout: timeout,
		AllowedUpdates: []string{"message", "callback_query"},
	})
}

// sendMessage sends HTML text, with an inline keyboard when kb is not nil.
func (a *api) sendMessage(ctx context.Context, chat int64, text string, kb *Keyboard) (*telego.Message, error) {
	p := &telego.SendMessageParams{ChatID: tu.ID(chat), Text: text, ParseMode: telego.ModeHTML}
	if kb != nil {
		p.ReplyMarkup = kb
	}
	return a.bot.SendMessage(ctx, p)
}

// editMessage replaces a message's text and keyboard (nil removes it).
func (a *api) editMessage(ctx context.Context, chat int64, msgID int, text string, kb *Keyboard) error {
	_, err := a.bot.EditMessageText(ctx, &telego.EditMessageTextParams{
		ChatID: tu.ID(chat), MessageID: msgID, Text: text, ParseMode: telego.ModeHTML, ReplyMarkup: kb,
	})
	return err
}

// answerCallback stops the button's spinner, showing text briefly.
func (a *api) answerCallback(ctx context.Context, id, text string) error {
	return a.bot.AnswerCallbackQuery(ctx, &telego.AnswerCallbackQueryParams{CallbackQueryID: id, Text: text})
}

// sendDocument uploads a file as a document.
func (a *api) sendDocument(ctx context.Context, chat int64, name string, file io.Reader, caption string) error {
	_, err := a.bot.SendDocument(ctx, &telego.SendDocumentParams{
		ChatID: tu.ID(chat), Document: tu.File(tu.NameReader(file, name)), Caption: caption,
	})
	return err
}

// sendPhoto uploads an image.
func (a *api) sendPhoto(ctx context.Context, chat int64, name string, file io.Reader, caption string) error {
	_, err := a.bot.SendPhoto(ctx, &telego.SendPhotoParams{
		ChatID: tu.ID(chat), Photo: tu.File(tu.NameReader(file, name)), Caption: caption,
	})
	return err
}

// prepare readies the token for long polling: a webhook left set by
// another program makes getUpdates fail with 409, so it is removed
// (pending updates kept); the command list is registered in lang so
// Telegram's "/" menu offers v3's commands. Failures are only logged:
// the poll that follows retries the server with backoff anyway.
func (a *api) prepare(ctx context.Context, lang string) {
	if err := a.bot.DeleteWebhook(ctx, &telego.DeleteWebhookParams{}); err != nil && ctx.Err() == nil {
		slog.Warn("telegram bot: deleteWebhook", "err", err)
	}
	var cmds []telego.BotCommand
	for _, c := range []string{"start", "help", "status", "id", "usage", "inbound", "restart", "clearall"} {
		cmds = append(cmds, telego.BotCommand{Command: c, Description: tr(lang, "cmd_"+c)})
	}
	if err := a.bot.SetMyCommands(ctx, &telego.SetMyCommandsParams{Commands: cmds}); err != nil && ctx.Err() == nil {
		slog.Warn("telegram bot: setMyCommands", "err", err)
	}
}
