package notify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/notify"
)

// receiver is a real webhook endpoint on loopback. It checks every post
// the way docs/notifications.md tells receivers to (its own HMAC, not
// notify.Verify) and keeps the events it acknowledged, in arrival order.
// While down it resets every connection before reading a byte, as a
// stopped service's host would refuse it.
type receiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server

	mu       sync.Mutex
	down     bool
	status   int // answer while up (0: 200)
	got      []notify.Event
	bad      []string // signature or body problems
	onAck    func(n int)
	received chan struct{}
	// hold, when set, keeps every post open until it is closed.
	hold chan struct{}
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: secret, received: make(chan struct{}, 1024)}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.srv.Listener = &resettingListener{Listener: r.srv.Listener, down: r.isDown}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) URL() string { return r.srv.URL + "/hook" }

func (r *receiver) setDown(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

func (r *receiver) isDown() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.down
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	if r.isDown() {
		// A kept-alive connection from before it went down: reset it too.
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			conn.Close()
		}
		return
	}
	if r.hold != nil {
		<-r.hold
	}
	body, _ := io.ReadAll(req.Body)
	ts, sig, id := req.Header.Get("X-XUI-Timestamp"), req.Header.Get("X-XUI-Signature"), req.Header.Get("X-XUI-Event-Id")
	mac := hmac.New(sha256.New, []byte(r.secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	var ev notify.Event
	err := json.Unmarshal(body, &ev)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case ts == "" || !hmac.Equal([]byte(sig), []byte(want)):
		r.bad = append(r.bad, "signature "+sig+" does not verify for timestamp "+ts)
	case err != nil || ev.ID != id || id == "":
		r.bad = append(r.bad, "body "+string(body)+" does not carry the header's id "+id)
	}
	status := r.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	if status/100 != 2 {
		return
	}
	r.got = append(r.got, ev)
	if r.onAck != nil {
		r.onAck(len(r.got))
	}
	r.received <- struct{}{}
}

// events are the acknowledged events so far; problems the bad posts.
func (r *receiver) events() ([]notify.Event, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Event(nil), r.got...), append([]string(nil), r.bad...)
}

// waitFor waits until n events were acknowledged, failing after a bound
// that only a broken dispatcher reaches.
func (r *receiver) waitFor(n int) []notify.Event {
	r.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		got, bad := r.events()
		if len(bad) > 0 {
			r.t.Fatalf("receiver refused posts: %v", bad)
		}
		if len(got) >= n {
			return got
		}
		select {
		case <-r.received:
		case <-deadline:
			r.t.Fatalf("receiver got %d events, want %d", len(got), n)
		}
	}
}

// resettingListener resets connections while down(): the client's post
// fails at once, like a connection refused, on a port the test keeps.
type resettingListener struct {
	net.Listener
	down func() bool
}

func (l *resettingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.down() {
			return c, err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST, not FIN
		}
		c.Close()
	}
}
