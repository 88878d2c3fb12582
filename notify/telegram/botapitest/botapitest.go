// Package botapitest is a Bot API server on loopback for tests: it speaks
// the documented methods the bot calls through its library (getMe,
// getUpdates with offset and long-poll timeout, deleteWebhook,
// setMyCommands, sendMessage, editMessageText, deleteMessage,
// answerCallbackQuery, sendDocument and sendPhoto multipart), queues
// updates a test pushes and records what the bot sent.
package botapitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one method call the bot made.
type Call struct {
	Method string
	ChatID int64
	// MessageID is the id the server gave a sent message, or the message
	// an edit or delete names.
	MessageID int64
	Text      string          // text, or a document's caption
	Markup    json.RawMessage // reply_markup as sent
	FileName  string          // sendDocument, sendPhoto
	File      []byte          // sendDocument, sendPhoto
	// CallbackID is the press an answerCallbackQuery answers.
	CallbackID string
	// RemoteAddr is where the request came from (a proxy's outbound
	// when the bot goes through one).
	RemoteAddr string
}

// Server is the fake Bot API; URL is what tgBotAPIServer should hold.
type Server struct {
	URL   string
	Token string

	mu      sync.Mutex
	updates []json.RawMessage // update i has update_id i+1
	// confirmed updates are never sent again: as on Telegram, an offset
	// above an update's id confirms it.
	confirmed int64
	calls     []Call
	polls     int
	messages  int64         // message ids given out
	presses   int           // button presses queued
	fails     int           // getUpdates rounds still to refuse (FailPolls)
	limits    int           // getUpdates rounds still to answer 429 (RateLimitPolls)
	after     int           // their retry_after, seconds
	wake      chan struct{} // closed and replaced when an update arrives
}

// Start serves the Bot API of token on loopback until the test ends.
func Start(t testing.TB, token string) *Server {
	s := &Server{Token: token, wake: make(chan struct{})}
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

func reply(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func fail(w http.ResponseWriter, code int, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error_code": code, "description": desc})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+s.Token+"/")
	if !ok {
		fail(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	switch method {
	case "sendDocument":
		s.upload(w, r, method, "document")
		return
	case "sendPhoto":
		s.upload(w, r, method, "photo")
		return
	}
	var p struct {
		Offset      int64           `json:"offset"`
		Timeout     int             `json:"timeout"`
		ChatID      int64           `json:"chat_id"`
		Text        string          `json:"text"`
		ReplyMarkup json.RawMessage `json:"reply_markup"`
		MessageID   int64           `json:"message_id"`
		Commands    json.RawMessage `json:"commands"`
		CallbackID  string          `json:"callback_query_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		fail(w, http.StatusBadRequest, "Bad Request: "+err.Error())
		return
	}
	switch method {
	case "getMe":
		reply(w, map[string]any{"id": 1, "is_bot": true, "first_name": "test", "username": "test_bot"})
	case "getUpdates":
		if s.failing() {
			fail(w, http.StatusBadGateway, "Bad Gateway")
			return
		}
		if after := s.limited(); after > 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error_code": 429,
				"description": "Too Many Requests: retry after " + strconv.Itoa(after),
				"parameters":  map[string]any{"retry_after": after}})
			return
		}
		reply(w, s.poll(r, p.Offset, time.Duration(p.Timeout)*time.Second))
	case "sendMessage", "editMessageText":
		id := p.MessageID
		if method == "sendMessage" {
			id = s.nextMessageID()
		}
		s.record(r, Call{Method: method, ChatID: p.ChatID, MessageID: id, Text: p.Text, Markup: p.ReplyMarkup})
		reply(w, map[string]any{"message_id": id, "date": time.Now().Unix(),
			"chat": map[string]any{"id": p.ChatID, "type": "private"}, "text": p.Text})
	case "deleteMessage":
		s.record(r, Call{Method: method, ChatID: p.ChatID, MessageID: p.MessageID})
		reply(w, true)
	case "answerCallbackQuery":
		s.record(r, Call{Method: method, Text: p.Text, CallbackID: p.CallbackID})
		reply(w, true)
	case "deleteWebhook":
		s.record(r, Call{Method: method})
		reply(w, true)
	case "setMyCommands":
		s.record(r, Call{Method: method, Markup: p.Commands})
		reply(w, true)
	default:
		fail(w, http.StatusNotFound, "Not Found: method "+method)
	}
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, method, field string) {
	if err := r.ParseMultipartForm(64 << 20); err != nil {
		fail(w, http.StatusBadRequest, "Bad Request: "+err.Error())
		return
	}
	chat, err := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
	f, hdr, ferr := r.FormFile(field)
	if err != nil || ferr != nil {
		fail(w, http.StatusBadRequest, "Bad Request: chat_id and "+field+" are required")
		return
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	id := s.nextMessageID()
	s.record(r, Call{Method: method, ChatID: chat, MessageID: id, Text: r.FormValue("caption"), FileName: hdr.Filename, File: data})
	reply(w, map[string]any{"message_id": id, "date": time.Now().Unix(), "chat": map[string]any{"id": chat, "type": "private"}})
}

// poll answers getUpdates: the updates from offset on, waiting up to
// timeout (or until the client gives up) for one to arrive.
func (s *Server) poll(r *http.Request, offset int64, timeout time.Duration) []json.RawMessage {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		s.confirmed = max(s.confirmed, offset-1)
		from := s.confirmed
		var out []json.RawMessage
		if from < int64(len(s.updates)) {
			out = append(out, s.updates[from:]...)
		}
		wake := s.wake
		s.mu.Unlock()
		if len(out) > 0 {
			return out
		}
		select {
		case <-wake:
		case <-deadline.C:
			return []json.RawMessage{}
		case <-r.Context().Done():
			return []json.RawMessage{}
		}
	}
}

// FailPolls makes the next n getUpdates calls fail with 502, as a Bot API
// server that is away does.
func (s *Server) FailPolls(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = n
}

// RateLimitPolls makes the next n getUpdates calls answer 429 with
// retry_after seconds, as Telegram's flood control does.
func (s *Server) RateLimitPolls(n, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits, s.after = n, retryAfter
}

func (s *Server) limited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limits > 0 {
		s.limits--
		return s.after
	}
	return 0
}

func (s *Server) failing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls++
	if s.fails > 0 {
		s.fails--
		return true
	}
	return false
}

func (s *Server) nextMessageID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages++
	return 1000 + s.messages
}

func (s *Server) record(r *http.Request, c Call) {
	c.RemoteAddr = r.RemoteAddr
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

func (s *Server) push(update map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	update["update_id"] = len(s.updates) + 1
	data, _ := json.Marshal(update)
	s.updates = append(s.updates, data)
	close(s.wake)
	s.wake = make(chan struct{})
}

// Message queues a text message from user in their private chat.
func (s *Server) Message(user int64, text string) {
	s.push(map[string]any{"message": map[string]any{
		"message_id": 1, "date": time.Now().Unix(), "text": text,
		"from": map[string]any{"id": user, "is_bot": false, "first_name": "U" + strconv.FormatInt(user, 10)},
		"chat": map[string]any{"id": user, "type": "private"},
	}})
}

// Press queues a button press by user on message messageID in their
// chat and returns the press's id (the bot's answerCallbackQuery names it).
func (s *Server) Press(user, messageID int64, data string) string {
	s.mu.Lock()
	s.presses++
	id := "cq" + strconv.Itoa(s.presses)
	s.mu.Unlock()
	s.push(map[string]any{"callback_query": map[string]any{
		"id": id, "data": data, "chat_instance": "x",
		"from":    map[string]any{"id": user, "is_bot": false, "first_name": "U"},
		"message": map[string]any{"message_id": messageID, "date": time.Now().Unix(), "chat": map[string]any{"id": user, "type": "private"}},
	}})
	return id
}

// Buttons is the callback data of each button of a call's inline
// keyboard, in order.
func (c Call) Buttons() []string {
	var kb struct {
		Rows [][]struct {
			Data string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	_ = json.Unmarshal(c.Markup, &kb)
	var out []string
	for _, row := range kb.Rows {
		for _, b := range row {
			out = append(out, b.Data)
		}
	}
	return out
}

// Calls is every call so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Polls counts getUpdates rounds (a bot that polls is alive).
func (s *Server) Polls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polls
}

// WaitCall waits (bounded) for a call after the first skip calls that
// matches, and returns it.
func (s *Server) WaitCall(t testing.TB, skip int, match func(Call) bool) Call {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		calls := s.Calls()
		for i := skip; i < len(calls); i++ {
			if match(calls[i]) {
				return calls[i]
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	var seen []string
	for _, c := range s.Calls()[skip:] {
		seen = append(seen, fmt.Sprintf("%s(%d) %.80q", c.Method, c.ChatID, c.Text))
	}
	t.Fatalf("no matching Bot API call; since the request: %s", strings.Join(seen, "; "))
	return Call{}
}
