package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/web/session"
)

// hookReceiver is a real webhook endpoint on loopback that keeps the
// events whose signature verifies.
type hookReceiver struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	got    []notify.Event
	bad    int
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	r := &hookReceiver{secret: secret}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		var ev notify.Event
		if !notify.Verify(r.secret, req.Header.Get(notify.HeaderTimestamp), body, req.Header.Get(notify.HeaderSignature)) ||
			json.Unmarshal(body, &ev) != nil {
			r.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.got = append(r.got, ev)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) events() ([]notify.Event, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Event(nil), r.got...), r.bad
}

const hookSecret = "app-test-webhook-secret-0123"

// The notify API over HTTP: bad input is a 400 naming the field and
// changes nothing; a failed login becomes a signed webhook delivery that
// the delivery log and the event list show; the test button posts now.
func TestNotifyAPIAndFailedLoginWebhook(t *testing.T) {
	t.Parallel() // own database and App, nothing process-wide
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		env := newEnv(t, b)
		c := env.loggedIn()
		recv := newHookReceiver(t, hookSecret)
		before := env.dbState(t)
		for _, bad := range []struct {
			body  any
			field string
		}{
			{map[string]any{"url": "ftp://example.com/x"}, "url"},
			{map[string]any{"url": "not a url at all"}, "url"},
			{map[string]any{}, "url"},
			{map[string]any{"url": recv.srv.URL, "events": []string{"login.failed", "bogus"}}, "events[1]"},
			{map[string]any{"url": recv.srv.URL, "secret": "short"}, "secret"},
			{map[string]any{"url": recv.srv.URL, "enabled": "yes"}, "enabled"},
			{`{"url":`, "malformed JSON"},
		} {
			c.api("POST", "notify/webhooks/add", bad.body).expectFail(http.StatusBadRequest, bad.field)
		}
		c.api("POST", "notify/webhooks/update/7", map[string]any{"enabled": false}).expectFail(http.StatusNotFound, "id")
		c.api("POST", "notify/webhooks/update/x", map[string]any{"enabled": false}).expectFail(http.StatusBadRequest, "id")
		if env.dbState(t) != before {
			t.Fatal("refused notify requests changed the database")
		}

		added := c.api("POST", "notify/webhooks/add", map[string]any{"url": recv.srv.URL + "/in", "secret": hookSecret,
			"events": []string{"login.failed"}}).expectOK().obj()
		id := int(added["id"].(float64))
		if added["secret"] != hookSecret {
			t.Fatalf("add answered %v: want the secret shown once", added)
		}
		before = env.dbState(t)
		c.api("POST", "notify/webhooks/update/"+itoa(id), map[string]any{"url": "gopher://x", "enabled": false}).
			expectFail(http.StatusBadRequest, "url")
		if env.dbState(t) != before {
			t.Fatal("a refused update changed the database")
		}
		list := c.api("GET", "notify/webhooks", nil).expectOK()
		if !strings.Contains(string(list.Raw), `"events":["login.failed"]`) || strings.Contains(string(list.Raw), hookSecret) {
			t.Fatalf("list %s: want the filter and no secret", list.Raw)
		}

		stranger := env.client()
		stranger.remote = "198.51.100.9:5000"
		stranger.do("POST", "login", map[string]string{"username": "admin", "password": "Wrong-Guess-1"}).
			expectFail(http.StatusUnauthorized, "wrong username or password")
		if err := env.app.notify.dispatcher.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, bad := recv.events()
		if bad != 0 || len(got) != 1 || got[0].Kind != notify.LoginFailed {
			t.Fatalf("receiver got %+v (%d bad): want one signed login.failed", got, bad)
		}
		if p := string(got[0].Payload); !strings.Contains(p, `"ip":"198.51.100.9"`) || strings.Contains(p, "Wrong-Guess") {
			t.Fatalf("login.failed payload %s: want the address and never the password", p)
		}
		logPage := c.api("GET", "notify/deliveries?webhookId="+itoa(id), nil).expectOK().obj()
		items := logPage["items"].([]any)
		if logPage["total"].(float64) != 1 || items[0].(map[string]any)["status"] != "delivered" || items[0].(map[string]any)["attempts"].(float64) != 1 {
			t.Fatalf("delivery log %v: want one delivered after one attempt", logPage)
		}
		events := c.api("GET", "notify/events?kind=login.failed", nil).expectOK().obj()
		if events["total"].(float64) != 1 {
			t.Fatalf("event list %v: want the one failed login", events)
		}
		c.api("GET", "notify/deliveries?status=lost", nil).expectFail(http.StatusBadRequest, "status")
		c.api("GET", "notify/deliveries?limit=100000", nil).expectFail(http.StatusBadRequest, "limit")
		c.api("GET", "notify/events?offset=-1", nil).expectFail(http.StatusBadRequest, "offset")

		tested := c.api("POST", "notify/webhooks/test/"+itoa(id), nil).expectOK().obj()
		if tested["status"] != "delivered" {
			t.Fatalf("test answered %v", tested)
		}
		if got, _ := recv.events(); len(got) != 2 || got[1].Kind != notify.Test {
			t.Fatalf("receiver got %+v: want the test event second", got)
		}
		c.api("POST", "notify/webhooks/del/"+itoa(id), nil).expectOK()
		c.api("POST", "notify/webhooks/del/"+itoa(id), nil).expectFail(http.StatusNotFound, "id")
	})
}

// A worker records what it sees in the shared database but delivers
// nothing and runs no dispatcher; the master delivers the worker's event.
func TestWorkerRecordsAndOnlyTheMasterDelivers(t *testing.T) {
	t.Parallel()
	master, worker := masterAndWorker(t)
	if worker.app.notify.dispatcher != nil || worker.app.notify.nodeWatch != nil {
		t.Fatal("a worker app built a dispatcher or a node watch")
	}
	recv := newHookReceiver(t, hookSecret)
	wc := worker.loggedIn()
	wc.api("POST", "notify/webhooks/add", map[string]any{"url": recv.srv.URL}).expectFail(http.StatusForbidden, "master")
	wc.api("POST", "notify/email/test", nil).expectFail(http.StatusForbidden, "master")
	wc.api("POST", "notify/telegram/test", nil).expectFail(http.StatusForbidden, "master")
	master.loggedIn().api("POST", "notify/webhooks/add", map[string]any{"url": recv.srv.URL, "secret": hookSecret,
		"events": []string{"login.failed"}}).expectOK() // not the logins above from a new address

	c := worker.client()
	c.do("POST", "login", map[string]string{"username": "admin", "password": "nope-nope"}).expectFail(http.StatusUnauthorized, "wrong")
	if got, _ := recv.events(); len(got) != 0 {
		t.Fatalf("receiver got %+v before the master ran", got)
	}
	if err := master.app.notify.dispatcher.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, bad := recv.events()
	if bad != 0 || len(got) != 1 || got[0].Kind != notify.LoginFailed || got[0].NodeID != "w1" {
		t.Fatalf("receiver got %+v (%d bad): want the worker's login.failed, delivered by the master", got, bad)
	}
}

// masterAndWorker starts a master ("m1") and a worker ("w1") app on one
// shared MariaDB database (a worker exists only on a shared database).
func masterAndWorker(t *testing.T) (master, worker *testEnv) {
	t.Helper()
	h := testdb.Handle(t, dbtest.New(t, dbtest.MariaDB))
	cfg := config.PanelConfig{BasePath: testBase, SessionMaxAge: 60, Secret: session.NewSecret()}
	node := func(role config.NodeRole, id string) *cluster.Node {
		return cluster.NewNode(config.NodeConfig{Role: role, NodeID: id}, true, h)
	}
	master = startEnv(t, cfg, Options{DB: h, Node: node(config.NodeRoleMaster, "m1")})
	worker = startEnv(t, cfg, Options{DB: h, Node: node(config.NodeRoleWorker, "w1")})
	return master, worker
}
