// Package telegram is the panel's Telegram bot (3x-ui v3's commands, admin
// menu, client self-service and database backups) over a small client of
// the documented Bot API (https://core.telegram.org/bots/api): a handful
// of JSON methods and one multipart upload, so the bot follows the public
// HTTP contract and any Bot API server (api.telegram.org, a self-hosted
// telegram-bot-api, a test's own) serves it.
package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultAPIServer is Telegram's own Bot API server (tgBotAPIServer empty).
const DefaultAPIServer = "https://api.telegram.org"

// User, Chat, Message, CallbackQuery and Update are the parts of the Bot
// API's objects the bot reads.
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	Username  string `json:"username,omitempty"`
}

type Chat struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

type Message struct {
	MessageID int64  `json:"message_id"`
	From      *User  `json:"from,omitempty"`
	Chat      Chat   `json:"chat"`
	Text      string `json:"text,omitempty"`
}

type CallbackQuery struct {
	ID      string   `json:"id"`
	From    User     `json:"from"`
	Message *Message `json:"message,omitempty"`
	Data    string   `json:"data,omitempty"`
}

type Update struct {
	UpdateID      int64          `json:"update_id"`
	Message       *Message       `json:"message,omitempty"`
	CallbackQuery *CallbackQuery `json:"callback_query,omitempty"`
}

// Button is an inline keyboard button that sends callback data back.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// Keyboard is an inline keyboard: rows of buttons.
type Keyboard struct {
	InlineKeyboard [][]Button `json:"inline_keyboard"`
}

// APIError is a Bot API answer with ok=false.
type APIError struct {
	Method      string
	Code        int
	Description string
	RetryAfter  int // seconds, on 429
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram %s: %d %s", e.Method, e.Code, e.Description)
}

// Client calls one bot's methods on one Bot API server.
type Client struct {
	base string // <server>/bot<token>/
	http *http.Client
}

// NewClient is a client of the bot token on server (empty: Telegram's),
// through proxy when set (socks5:// or http(s)://). hc, when not nil, is
// used as is (its transport decides the proxy).
func NewClient(server, token, proxy string, hc *http.Client) (*Client, error) {
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
	return &Client{base: strings.TrimRight(server, "/") + "/bot" + token + "/", http: hc}, nil
}

type envelope struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// call posts params as JSON (or body with its content type) and decodes
// the result into out.
func (c *Client) call(ctx context.Context, method string, params any, out any) error {
	body, err := json.Marshal(params)
	if err != nil {
		return err
	}
	return c.post(ctx, method, "application/json", bytes.NewReader(body), out)
}

func (c *Client) post(ctx context.Context, method, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+method, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL holds the token: never let it reach a log line.
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	defer resp.Body.Close()
	var env envelope
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&env); err != nil {
		return fmt.Errorf("telegram %s: HTTP %d, unreadable answer: %w", method, resp.StatusCode, err)
	}
	if !env.OK {
		return &APIError{Method: method, Code: env.ErrorCode, Description: env.Description, RetryAfter: env.Parameters.RetryAfter}
	}
	if out != nil {
		return json.Unmarshal(env.Result, out)
	}
	return nil
}

// GetMe checks the token and names the bot.
func (c *Client) GetMe(ctx context.Context) (*User, error) {
	var u User
	return &u, c.call(ctx, "getMe", struct{}{}, &u)
}

// GetUpdates long-polls for updates after offset-1, waiting up to timeout.
func (c *Client) GetUpdates(ctx context.Context, offset int64, timeout time.Duration) ([]Update, error) {
	var ups []Update
	params := map[string]any{
		"offset":          offset,
		"timeout":         int(timeout / time.Second),
		"allowed_updates": []string{"message", "callback_query"},
	}
	return ups, c.call(ctx, "getUpdates", params, &ups)
}

// SendMessage sends HTML text, with an inline keyboard when kb is not nil.
func (c *Client) SendMessage(ctx context.Context, chatID int64, text string, kb *Keyboard) error {
	params := map[string]any{"chat_id": chatID, "text": text, "parse_mode": "HTML"}
	if kb != nil {
		params["reply_markup"] = kb
	}
	return c.call(ctx, "sendMessage", params, nil)
}

// EditMessageText replaces a message's text (and keyboard: nil removes it).
func (c *Client) EditMessageText(ctx context.Context, chatID, messageID int64, text string, kb *Keyboard) error {
	params := map[string]any{"chat_id": chatID, "message_id": messageID, "text": text, "parse_mode": "HTML"}
	if kb != nil {
		params["reply_markup"] = kb
	}
	return c.call(ctx, "editMessageText", params, nil)
}

// AnswerCallbackQuery stops the button's spinner, showing text briefly.
func (c *Client) AnswerCallbackQuery(ctx context.Context, id, text string) error {
	return c.call(ctx, "answerCallbackQuery", map[string]any{"callback_query_id": id, "text": text}, nil)
}

// SendDocument uploads a file (multipart/form-data, field "document").
func (c *Client) SendDocument(ctx context.Context, chatID int64, fileName string, file io.Reader, caption string) error {
	return c.upload(ctx, "sendDocument", "document", chatID, fileName, file, caption)
}

// SendPhoto uploads an image (multipart/form-data, field "photo").
func (c *Client) SendPhoto(ctx context.Context, chatID int64, fileName string, file io.Reader, caption string) error {
	return c.upload(ctx, "sendPhoto", "photo", chatID, fileName, file, caption)
}

func (c *Client) upload(ctx context.Context, method, field string, chatID int64, fileName string, file io.Reader, caption string) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := mw.WriteField("chat_id", strconv.FormatInt(chatID, 10))
		if err == nil && caption != "" {
			err = mw.WriteField("caption", caption)
		}
		var part io.Writer
		if err == nil {
			part, err = mw.CreateFormFile(field, fileName)
		}
		if err == nil {
			_, err = io.Copy(part, file)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	err := c.post(ctx, method, mw.FormDataContentType(), pr, nil)
	pr.Close() // ends the writer if the request stopped reading early
	return err
}
