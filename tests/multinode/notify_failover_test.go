package multinode

import (
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/notify"
)

// TestNotifyMasterKilledMidDelivery (issue 28): the master is SIGKILLed
// while its post of event B is at the receiver, unanswered (the receiver
// holds it until the kill, so the window is certain), and after it
// recorded event C, which waits behind B. A standby takes the lease and
// delivers B again (same id) and then C; the receiver's view by id has
// each once, and A, acknowledged before the kill, is never sent again.
func TestNotifyMasterKilledMidDelivery(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database, x-ui processes and receiver
	started := time.Now()
	c := newCluster(t, 0, nodeOptions{syncSeconds: 2, flushSeconds: 1})
	old := c.master
	sink := startHookSink(t, old.host.hostIP, nfHookSecret)
	standby := newNode(t, c, "m2", config.NodeRoleMaster, nodeOptions{syncSeconds: 2, flushSeconds: 1})
	routeTo(t, standby.host, old.host.hostIP)
	c.api.mustOK(http.MethodPost, "notify/webhooks/add", map[string]any{"url": sink.url(), "secret": nfHookSecret,
		"events": []string{string(notify.LoginFailed)}})

	failLogin(t, old, "intruder-a")
	a := c.waitEvent(string(notify.LoginFailed), old.name, 0, 20*time.Second)
	if err := c.waitDelivered(30*time.Second, a.EventID); err != nil {
		t.Fatal(err)
	}

	held := sink.holdNext()
	failLogin(t, old, "intruder-b")
	var b string
	select {
	case b = <-held.id:
	case <-time.After(30 * time.Second):
		t.Fatal("the master never posted the second event")
	}
	failLogin(t, old, "intruder-c")
	cEv := c.waitEvent(string(notify.LoginFailed), old.name, a.Seq, 20*time.Second)
	for cEv.EventID == b {
		cEv = c.waitEvent(string(notify.LoginFailed), old.name, cEv.Seq, 20*time.Second)
	}
	old.kill() // mid-post: the receiver has B and has not answered
	held.Release()
	if rows := c.deliveries(b); len(rows) != 1 || rows[0].Status != string(notify.StatusPending) || rows[0].Attempts != 1 {
		t.Fatalf("B's outbox row after the kill: %s; want pending, claimed once", mustJSON(rows))
	}
	killedAt := len(sink.all())

	var lease model.SharedState
	c.conn.Where("`key` = ?", database.MasterLeaseKey).First(&lease)
	if !waitFor(40*time.Second, func() bool { return time.Now().Unix() > lease.Version }) {
		t.Fatal("the killed master's lease never expired")
	}
	standby.start(c)
	// B's claim runs out twice the post timeout after it was made; the
	// standby then posts B and C at its next poll.
	if !sink.waitIDs(60*time.Second, b, cEv.EventID) {
		t.Fatalf("the new master did not deliver B and C; receiver got %+v", sink.all())
	}
	if err := c.waitDelivered(30*time.Second, a.EventID, b, cEv.EventID); err != nil {
		t.Fatal(err)
	}

	seen := sink.seen()
	if seen[a.EventID] != 1 {
		t.Errorf("A, acknowledged before the kill, came %d times: want once", seen[a.EventID])
	}
	if seen[b] != 2 || seen[cEv.EventID] != 1 {
		t.Errorf("B came %d times (held + re-sent, want 2), C %d (want 1)", seen[b], seen[cEv.EventID])
	}
	after := sink.all()[killedAt:]
	if len(after) != 2 || after[0].ID != b || after[1].ID != cEv.EventID {
		t.Fatalf("posts after the kill: %+v; want B again then C", after)
	}
	for _, p := range sink.all() {
		if !p.Valid || p.Header != p.ID {
			t.Errorf("post %+v: want a valid signature and X-XUI-Event-Id = body id", p)
		}
	}
	for _, p := range after {
		if p.From != standby.host.nsIP {
			t.Errorf("post %+v after the kill: want it from the new master %s", p, standby.host.nsIP)
		}
	}
	if rows := c.deliveries(b); rows[0].Attempts != 2 {
		t.Errorf("B's outbox row %s: want 2 attempts (the killed one and the new master's)", mustJSON(rows))
	}
	t.Logf("kill mid-post and takeover: A once, B twice by id (de-duplicated: once), C once, in %v",
		time.Since(started).Round(time.Second))
}

// TestNotifyWebhookDownTwoMinutes (issue 28): the receiver is away for a
// real two minutes while the master records failed logins and an Xray
// crash and recovery; with the production retry policy (5 s doubling,
// 10 s poll) every one of them arrives afterwards, exactly once, in the
// order recorded. It takes about 3-4 minutes and runs parallel to the
// rest of the package.
func TestNotifyWebhookDownTwoMinutes(t *testing.T) {
	t.Parallel() // own namespaces, MariaDB database, x-ui process and receiver
	const outage = 2 * time.Minute
	started := time.Now()
	c := newCluster(t, 0, nodeOptions{syncSeconds: 2, flushSeconds: 1})
	m := c.master
	sink := startHookSink(t, m.host.hostIP, nfHookSecret)
	kinds := []string{string(notify.LoginFailed), string(notify.XrayCrashed), string(notify.XrayRecovered)}
	c.api.mustOK(http.MethodPost, "notify/webhooks/add", map[string]any{"url": sink.url(), "secret": nfHookSecret, "events": kinds})

	failLogin(t, m, "before-outage")
	first := c.waitEvent(string(notify.LoginFailed), m.name, 0, 20*time.Second)
	if err := c.waitDelivered(30*time.Second, first.EventID); err != nil {
		t.Fatal(err)
	}

	sink.Down()
	back := time.Now().Add(outage)
	failLogin(t, m, "outage-1")
	failLogin(t, m, "outage-2")
	pid := m.xrayPid()
	if pid == 0 {
		t.Fatal("the master runs no Xray")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.waitEvent(string(notify.XrayRecovered), m.name, first.Seq, 30*time.Second)
	// The outage's idle time checks bad settings on this real master.
	refuseBadNotifySettings(t, c)
	// Two more failed logins later in the outage, the last shortly before
	// its end: the outage is a fixed span of wall time, not a condition.
	time.Sleep(time.Until(back.Add(-outage / 2)))
	failLogin(t, m, "outage-3")
	time.Sleep(time.Until(back.Add(-10 * time.Second)))
	failLogin(t, m, "outage-4")
	var want []model.NotifyEvent
	if err := c.conn.Where("seq > ? AND kind IN ?", first.Seq, kinds).Order("seq").Find(&want).Error; err != nil {
		t.Fatal(err)
	}
	if len(want) != 6 {
		t.Fatalf("events recorded in the outage: %s; want 4 failed logins, a crash and a recovery", mustJSON(want))
	}
	head := c.deliveries(want[0].EventID)
	time.Sleep(time.Until(back))
	if len(sink.all()) != 1 || len(head) != 1 || head[0].Status != string(notify.StatusPending) || head[0].Attempts < 2 {
		t.Fatalf("at the end of the outage: receiver %+v, first outage delivery %s; want nothing received and retries pending",
			sink.all(), mustJSON(head))
	}
	t.Logf("end of the outage: the first outage event was tried %d times (%s)", head[0].Attempts, head[0].LastError)

	sink.Up()
	ids := make([]string, len(want))
	for i, ev := range want {
		ids[i] = ev.EventID
	}
	// The next attempt is at most the capped backoff after the last failed
	// one (160 s at the 6th attempt) plus a poll.
	if !sink.waitIDs(5*time.Minute, ids...) {
		t.Fatalf("after the outage the receiver got %+v; want %v", sink.all(), ids)
	}
	if err := c.waitDelivered(30*time.Second, ids...); err != nil {
		t.Fatal(err)
	}
	got := sink.all()[1:]
	if len(got) != len(ids) {
		t.Fatalf("%d posts after the outage, want %d (each once): %+v", len(got), len(ids), got)
	}
	for i, p := range got {
		if !p.Valid || p.ID != ids[i] || p.Header != p.ID {
			t.Fatalf("post %d after the outage: %+v; want event %s (%s), signed, in recorded order", i, p, ids[i], want[i].Kind)
		}
	}
	t.Logf("2-minute outage: %d events arrived in order once, %v after the receiver came back; whole test %v",
		len(ids), got[len(got)-1].At.Sub(back).Round(time.Second), time.Since(started).Round(time.Second))
}
