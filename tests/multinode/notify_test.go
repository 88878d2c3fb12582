package multinode

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// TestNotifyWorkerEventsReachEachTargetOnce (issue 28): in a cluster of a
// master and two workers, a failed login at a worker's panel, a client
// depleted by real traffic through a worker's Xray and a worker's Xray
// SIGKILLed each produce exactly one Telegram message, one email and one
// signed webhook post, all sent by the master. Every node can reach the
// targets (routes to them), so "none from a worker" is checked by source
// address, not guaranteed by the network.
func TestNotifyWorkerEventsReachEachTargetOnce(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database, x-ui processes and targets
	started := time.Now()
	c := newCluster(t, 2, nodeOptions{syncSeconds: 2, flushSeconds: 1})
	w1, w2 := c.workers[0], c.workers[1]
	kinds := []string{string(notify.LoginFailed), string(notify.ClientDepleted), string(notify.XrayCrashed)}
	nt := startNotifyTargets(t, c, kinds)

	const quota, chunk, rate = 4 << 20, 512 << 10, 2 << 20
	client := vlessClient("spent@notify", map[string]any{"totalGB": quota})
	c.addVLESSInbound(inboundPort, client)

	// 1. A wrong password at w1's panel.
	failLogin(t, w1, "intruder")
	login := c.waitEvent(string(notify.LoginFailed), w1.name, 0, 20*time.Second)

	// 2. The client downloads through w2 until it is refused: w2 flushes
	// the traffic, the master's traffic rules disable the client (and
	// record client.depleted), w2 drops it at its next sync.
	payload := payloadOn(t, w2.host)
	socks := proxyVia(t, w2.host, inboundPort, client)
	if !waitFor(20*time.Second, func() bool { return canDownload(socks, payload+"/bytes?n=1") }) {
		t.Fatal("w2 never served the client")
	}
	refused := false
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); {
		n, err := xraytest.DownloadWithin(socks, fmt.Sprintf("%s/slow?n=%d&rate=%d", payload, chunk, rate), 5*time.Second)
		if err != nil && n == 0 {
			refused = true
			break
		}
	}
	if !refused {
		t.Fatal("w2 kept serving the client past its quota")
	}
	depleted := c.waitEvent(string(notify.ClientDepleted), c.master.name, 0, 20*time.Second)

	// 3. w1's Xray is SIGKILLed; its supervisor restarts it and w1's
	// health job records the crash.
	pid := w1.xrayPid()
	if pid == 0 {
		t.Fatal("w1 runs no Xray")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	crash := c.waitEvent(string(notify.XrayCrashed), w1.name, 0, 30*time.Second)

	ids := []string{login.EventID, depleted.EventID, crash.EventID}
	// The master delivers what workers record at its next poll (10 s).
	if err := c.waitDelivered(60*time.Second, ids...); err != nil {
		t.Fatal(err)
	}
	hooks, mails, alerts := nt.hook.seen(), nt.mails(t), nt.alerts(ids)
	for i, id := range ids {
		if hooks[id] != 1 || mails[id] != 1 || alerts[id] != 1 {
			t.Errorf("%s %s: %d webhook posts, %d mails, %d Telegram messages: want exactly one each",
				kinds[i], id, hooks[id], mails[id], alerts[id])
		}
		if rows := c.deliveries(id); len(rows) != 3 {
			t.Errorf("%s: %d outbox rows, want 3 (webhook, email, Telegram): %s", kinds[i], len(rows), mustJSON(rows))
		}
	}
	master := c.master.host.nsIP
	for _, p := range nt.hook.all() {
		if !p.Valid || p.From != master || p.Header != p.ID {
			t.Errorf("webhook post %+v: want a valid signature, from the master (%s), X-XUI-Event-Id = body id", p, master)
		}
	}
	for name, r := range map[string]*sourceRelay{"SMTP": nt.mailRelay, "Bot API": nt.botRelay} {
		for from := range r.sources() {
			if from != master {
				t.Errorf("%s server reached from %s: only the master (%s) sends", name, from, master)
			}
		}
	}
	// The delivery log names the same three deliveries per channel.
	for _, ch := range []string{"email", "telegram"} {
		env := c.api.mustOK(http.MethodGet, "notify/deliveries?status=delivered&webhookId="+ch, nil)
		for _, id := range ids {
			if !strings.Contains(string(env.Obj), `"eventId":"`+id+`"`) {
				t.Errorf("%s delivery log lacks %s: %s", ch, id, env.Obj)
			}
		}
	}
	t.Logf("three worker events, each once per target, in %v", time.Since(started).Round(time.Second))
}
