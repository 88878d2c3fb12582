package multinode

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/notify/smtptest"
	"github.com/mhsanaei/3x-ui/v2/notify/telegram/botapitest"
)

// The notification targets of the cluster tests (issue 28): a webhook
// receiver that verifies signatures, Debian's aiosmtpd and the loopback
// Bot API server, all in the test process's namespace on the master's
// link, reachable from any node the test routes there.

const (
	nfHookSecret = "multinode-webhook-secret-0123456789"
	nfBotToken   = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
	nfAdminChat  = int64(4242)
)

// routeTo lets h's namespace reach ip, an address of the test process on
// another test host's link: by default namespaces only reach their own
// link, so without the route a node could not send to the targets at all
// and "only the master sends" would prove nothing.
func routeTo(t testing.TB, h *testHost, ip string) {
	t.Helper()
	if err := ipCmd("-n", h.ns, "route", "add", ip+"/32", "via", h.hostIP); err != nil {
		t.Fatal(err)
	}
}

// sourceRelay forwards TCP connections to target and remembers which
// addresses connected: the SMTP and Bot API servers listen on loopback
// and cannot tell which node reached them.
type sourceRelay struct {
	addr string
	mu   sync.Mutex
	from map[string]int // source IP -> connections
	ln   net.Listener
}

func startSourceRelay(t testing.TB, listen, target string) *sourceRelay {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	r := &sourceRelay{addr: ln.Addr().String(), from: map[string]int{}, ln: ln}
	var conns sync.Map
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
	})
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			host, _, _ := net.SplitHostPort(client.RemoteAddr().String())
			r.mu.Lock()
			r.from[host]++
			r.mu.Unlock()
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			conns.Store(client, true)
			conns.Store(server, true)
			pipe := func(dst, src net.Conn) {
				_, _ = io.Copy(dst, src)
				dst.Close()
				src.Close()
				conns.Delete(dst)
				conns.Delete(src)
			}
			go pipe(server, client)
			go pipe(client, server)
		}
	}()
	return r
}

// sources are the addresses that connected, with their counts.
func (r *sourceRelay) sources() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.from {
		out[k] = v
	}
	return out
}

// hookPost is one post the receiver got.
type hookPost struct {
	ID     string // from the body
	Header string // X-XUI-Event-Id
	Kind   string
	From   string // source IP
	Valid  bool   // signature and timestamp verified
	At     time.Time
}

// hookSink is a webhook receiver as docs/notifications.md tells one to
// write it: it verifies the signature over the raw body and the
// timestamp's freshness, and its de-duplicated view keys on the event
// id. Down and Up take it away and back on the same address.
type hookSink struct {
	t      testing.TB
	addr   string
	secret string
	mu     sync.Mutex
	srv    *http.Server
	posts  []hookPost
	held   *heldPost
}

// heldPost is a post the receiver keeps unanswered until release.
type heldPost struct {
	id      chan string
	release chan struct{}
	once    sync.Once
}

func (h *heldPost) Release() { h.once.Do(func() { close(h.release) }) }

func startHookSink(t testing.TB, ip, secret string) *hookSink {
	t.Helper()
	s := &hookSink{t: t, addr: net.JoinHostPort(ip, "0"), secret: secret}
	s.Up()
	t.Cleanup(s.Down)
	return s
}

func (s *hookSink) url() string { return "http://" + s.addr + "/hook" }

// Up serves (again) on the sink's address.
func (s *hookSink) Up() {
	s.t.Helper()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	srv := s.srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Down closes the listener and every connection: posts are refused, as
// by a receiver that is not running.
func (s *hookSink) Down() {
	s.mu.Lock()
	srv, held := s.srv, s.held
	s.srv = nil
	s.mu.Unlock()
	if held != nil {
		held.Release()
	}
	if srv != nil {
		_ = srv.Close()
	}
}

func (s *hookSink) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	ts := r.Header.Get(notify.HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	fresh := err == nil && math.Abs(float64(time.Now().Unix()-sec)) < 300
	var ev notify.Event
	valid := fresh && notify.Verify(s.secret, ts, body, r.Header.Get(notify.HeaderSignature)) && json.Unmarshal(body, &ev) == nil
	from, _, _ := net.SplitHostPort(r.RemoteAddr)
	s.mu.Lock()
	s.posts = append(s.posts, hookPost{ID: ev.ID, Header: r.Header.Get(notify.HeaderEventID), Kind: string(ev.Kind),
		From: from, Valid: valid, At: time.Now()})
	held := s.held
	if valid {
		s.held = nil
	} else {
		held = nil
	}
	s.mu.Unlock()
	if !valid {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if held != nil {
		held.id <- ev.ID
		select {
		case <-held.release:
		case <-r.Context().Done():
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// holdNext makes the next valid post wait, unanswered, until Release;
// its event id arrives on the returned post's id channel.
func (s *hookSink) holdNext() *heldPost {
	h := &heldPost{id: make(chan string, 1), release: make(chan struct{})}
	s.mu.Lock()
	s.held = h
	s.mu.Unlock()
	s.t.Cleanup(h.Release)
	return h
}

// all is every post so far, in arrival order.
func (s *hookSink) all() []hookPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hookPost(nil), s.posts...)
}

// seen is the receiver's de-duplicated view: valid posts per event id.
func (s *hookSink) seen() map[string]int {
	out := map[string]int{}
	for _, p := range s.all() {
		if p.Valid {
			out[p.ID]++
		}
	}
	return out
}

// waitIDs waits (bounded) until every id has come in a valid post.
func (s *hookSink) waitIDs(within time.Duration, ids ...string) bool {
	return waitFor(within, func() bool {
		seen := s.seen()
		for _, id := range ids {
			if seen[id] == 0 {
				return false
			}
		}
		return true
	})
}

// notifyTargets are the three targets of the outbox, set up through the
// master's API: one webhook, email and the Telegram bot.
type notifyTargets struct {
	hook      *hookSink
	mail      *smtptest.Server
	bot       *botapitest.Server
	mailRelay *sourceRelay
	botRelay  *sourceRelay
}

// startNotifyTargets starts the targets on the master's link, routes
// every node there, and points the master's webhook (filter kinds),
// email (smtpEnabledEvents kinds) and bot at them. It returns once the
// bot answers in the admin chat, so alerts find it running.
func startNotifyTargets(t testing.TB, c *cluster, kinds []string) *notifyTargets {
	t.Helper()
	ip := c.master.host.hostIP
	for _, w := range c.workers {
		routeTo(t, w.host, ip)
	}
	mail := smtptest.Start(t, smtptest.Options{Mode: "no"})
	bot := botapitest.Start(t, nfBotToken)
	botURL, err := url.Parse(bot.URL)
	if err != nil {
		t.Fatal(err)
	}
	nt := &notifyTargets{hook: startHookSink(t, ip, nfHookSecret), mail: mail, bot: bot,
		mailRelay: startSourceRelay(t, net.JoinHostPort(ip, "0"), net.JoinHostPort("127.0.0.1", strconv.Itoa(mail.Port))),
		botRelay:  startSourceRelay(t, net.JoinHostPort(ip, "0"), botURL.Host)}
	_, mailPort, _ := net.SplitHostPort(nt.mailRelay.addr)
	port, _ := strconv.Atoi(mailPort)
	c.api.mustOK(http.MethodPost, "notify/webhooks/add", map[string]any{"url": nt.hook.url(), "secret": nfHookSecret, "events": kinds})
	c.api.mustOK(http.MethodPost, "setting/update", map[string]any{"smtpEnable": true, "smtpHost": ip, "smtpPort": port,
		"smtpEncryptionType": "no", "smtpFrom": "panel@example.org", "smtpTo": "admin@example.net",
		"smtpEnabledEvents": strings.Join(kinds, ",")})
	c.api.mustOK(http.MethodPost, "setting/update", map[string]any{"tgBotEnable": true, "tgBotToken": nfBotToken,
		"tgBotChatId": strconv.FormatInt(nfAdminChat, 10), "tgBotAPIServer": "http://" + nt.botRelay.addr})
	skip := len(bot.Calls())
	bot.Message(nfAdminChat, "/id")
	bot.WaitCall(t, skip, func(call botapitest.Call) bool { return call.Method == "sendMessage" && call.ChatID == nfAdminChat })
	return nt
}

// alerts counts the bot's alerts to the admin chat per event id (an
// alert ends with its event id; command answers carry none).
func (nt *notifyTargets) alerts(ids []string) map[string]int {
	out := map[string]int{}
	for _, call := range nt.bot.Calls() {
		if call.Method != "sendMessage" || call.ChatID != nfAdminChat {
			continue
		}
		for _, id := range ids {
			if strings.HasSuffix(call.Text, "<code>"+id+"</code>") {
				out[id]++
			}
		}
	}
	return out
}

// mails counts the accepted mails per X-XUI-Event-Id.
func (nt *notifyTargets) mails(t testing.TB) map[string]int {
	out := map[string]int{}
	for _, m := range nt.mail.Messages(t) {
		out[m.Header.Get("X-XUI-Event-Id")]++
	}
	return out
}

// failLogin makes one failed login at n's panel as user, from the test
// process (a different user per call stays under the login limiter's
// per-user bucket).
func failLogin(t testing.TB, n *node, user string) {
	t.Helper()
	hc := http.Client{Timeout: 15 * time.Second}
	resp, err := hc.PostForm(n.panelURL()+"login", url.Values{"username": {user}, "password": {"Wrong-Guess-28"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("failed login as %s at %s: HTTP %d, want 401", user, n.name, resp.StatusCode)
	}
}

// waitEvent waits (bounded) for the first event of kind recorded by node
// with a sequence number above after, and returns it.
func (c *cluster) waitEvent(kind, node string, after int64, within time.Duration) model.NotifyEvent {
	c.t.Helper()
	var ev model.NotifyEvent
	if !waitFor(within, func() bool {
		ev = model.NotifyEvent{}
		return c.conn.Where("kind = ? AND node_id = ? AND seq > ?", kind, node, after).Order("seq").Limit(1).Find(&ev).Error == nil && ev.Seq != 0
	}) {
		var all []model.NotifyEvent
		c.conn.Order("seq").Find(&all)
		c.t.Fatalf("no %s event from %s within %v; events: %s", kind, node, within, mustJSON(all))
	}
	return ev
}

// deliveries are the outbox rows of one event.
func (c *cluster) deliveries(eventID string) []model.NotifyDelivery {
	c.t.Helper()
	var rows []model.NotifyDelivery
	if err := c.conn.Where("event_id = ?", eventID).Order("webhook_id").Find(&rows).Error; err != nil {
		c.t.Fatal(err)
	}
	return rows
}

// waitDelivered waits (bounded) until every outbox row of the events is
// delivered; a delivered row is never posted again.
func (c *cluster) waitDelivered(within time.Duration, ids ...string) error {
	var last string
	if waitFor(within, func() bool {
		for _, id := range ids {
			rows := c.deliveries(id)
			if len(rows) == 0 {
				last = id + ": no outbox rows"
				return false
			}
			for _, r := range rows {
				if r.Status != string(notify.StatusDelivered) {
					last = mustJSON(r)
					return false
				}
			}
		}
		return true
	}) {
		return nil
	}
	return errors.New("not delivered: " + last)
}
