package notify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/notify"
)

const testSecret = "0123456789abcdef-test-secret"

// fast is the retry policy shortened for tests: the same code paths,
// milliseconds instead of minutes.
var fast = notify.DispatcherOptions{Poll: 10 * time.Millisecond, Backoff: 5 * time.Millisecond,
	MaxBackoff: 40 * time.Millisecond, Timeout: 2 * time.Second}

type rig struct {
	h      *database.Handle
	master *cluster.Node
	rec    *notify.Recorder
	hooks  *notify.Webhooks
}

func newRig(t *testing.T, b dbtest.Backend) rig {
	h := testdb.Handle(t, b)
	master := cluster.NewNode(config.NodeConfig{Role: config.NodeRoleMaster, NodeID: "m1"}, b.Name == dbtest.MariaDB, h)
	return rig{h: h, master: master, rec: notify.NewRecorder(h, "m1"), hooks: notify.NewWebhooks(h, master)}
}

func (r rig) addHook(t *testing.T, url string, events ...string) notify.Webhook {
	t.Helper()
	secret := testSecret
	in := notify.WebhookInput{URL: &url, Secret: &secret}
	if len(events) > 0 {
		in.Events = &events
	}
	w, err := r.hooks.Add(in)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// record stores n events and returns their ids in record order.
func (r rig) record(t *testing.T, from, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for i := from; i < from+n; i++ {
		ev, err := r.rec.Record(context.Background(), nil, notify.New(notify.LoginFailed, map[string]int{"n": i}))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

// run starts a dispatcher loop and returns its stop, which waits for it.
func run(d *notify.Dispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.Run(ctx)
	}()
	return func() { cancel(); <-done }
}

func idsOf(evs []notify.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func sameOrder(t *testing.T, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("receiver got ids\n%v\nwant exactly, in order,\n%v", got, want)
	}
}

func deliveries(t *testing.T, h *database.Handle) []model.NotifyDelivery {
	t.Helper()
	var rows []model.NotifyDelivery
	if err := h.Current().Order("event_seq").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// Every post is signed as documented; the receiver checks the signature
// with its own HMAC over timestamp + "." + body.
func TestSignatureVerifiesWithTheDocumentedAlgorithm(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		recv := newReceiver(t, testSecret)
		r.addHook(t, recv.URL())
		want := r.record(t, 0, 2)
		if err := notify.NewDispatcher(r.h, r.master, fast).RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := recv.waitFor(2)
		sameOrder(t, idsOf(got), want)
		if got[0].Kind != notify.LoginFailed || got[0].NodeID != "m1" || string(got[0].Payload) != `{"n":0}` {
			t.Fatalf("first event %+v: want login.failed from m1 with payload {\"n\":0}", got[0])
		}
		if !notify.Verify("k", "1", []byte("b"), notify.Sign("k", "1", []byte("b"))) || notify.Verify("k", "2", []byte("b"), notify.Sign("k", "1", []byte("b"))) {
			t.Fatal("Verify must accept its own signature and refuse another timestamp's")
		}
	})
}

// A receiver that is down gets every event once it is up again, in the
// order they were recorded, each once.
func TestReceiverDownThenUpGetsEveryEventInOrder(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		recv := newReceiver(t, testSecret)
		r.addHook(t, recv.URL())
		recv.setDown(true)
		want := r.record(t, 0, 5)
		stop := run(notify.NewDispatcher(r.h, r.master, fast))
		defer stop()
		// Down long enough for the first delivery to fail a few times.
		for i := 0; ; i++ {
			rows := deliveries(t, r.h)
			if len(rows) > 0 && rows[0].Attempts >= 3 {
				if rows[0].LastError == "" || rows[0].Status != string(notify.StatusPending) {
					t.Fatalf("failed delivery %+v: want pending with the error", rows[0])
				}
				for _, row := range rows[1:] {
					if row.Attempts != 0 {
						t.Fatalf("delivery %+v was tried before the one ahead of it", row)
					}
				}
				break
			}
			if i > 6000 {
				t.Fatalf("first delivery never retried 3 times: %+v", rows)
			}
			time.Sleep(5 * time.Millisecond)
		}
		want = append(want, r.record(t, 5, 5)...)
		recv.setDown(false)
		sameOrder(t, idsOf(recv.waitFor(len(want))), want)
		stop()
		for _, row := range deliveries(t, r.h) {
			if row.Status != string(notify.StatusDelivered) || row.LastStatus != 200 || row.DeliveredAt == 0 {
				t.Fatalf("delivery %+v: want delivered with 200", row)
			}
		}
		got, _ := recv.events()
		sameOrder(t, idsOf(got), want) // nothing more arrived after the last
	})
}

// A dispatcher stopped mid-way (the master restarting) and a new one on
// the same database: nothing acknowledged is sent again, nothing is lost.
func TestDispatcherRestartRedeliversNothingAndLosesNothing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		recv := newReceiver(t, testSecret)
		r.addHook(t, recv.URL())
		want := r.record(t, 0, 12)
		ctx, cancel := context.WithCancel(context.Background())
		recv.onAck = func(n int) {
			if n == 4 {
				cancel() // stop the first master while its post is in flight
			}
		}
		first := notify.NewDispatcher(r.h, r.master, fast)
		if err := first.Run(ctx); err != nil {
			t.Fatal(err)
		}
		acked, _ := recv.events()
		if len(acked) < 4 || len(acked) == len(want) {
			t.Fatalf("first dispatcher delivered %d events; the test wants it stopped mid-way", len(acked))
		}
		want = append(want, r.record(t, 12, 3)...)
		stop := run(notify.NewDispatcher(r.h, r.master, fast))
		defer stop()
		recv.waitFor(len(want))
		stop()
		got, _ := recv.events()
		sameOrder(t, idsOf(got), want)
	})
}

// A delivery claimed by a master that died mid-post is sent again by the
// next one once the claim runs out, with the same event id.
func TestClaimOfADeadMasterRunsOut(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		recv := newReceiver(t, testSecret)
		r.addHook(t, recv.URL())
		want := r.record(t, 0, 2)
		d := notify.NewDispatcher(r.h, r.master, fast)
		recv.setDown(true)
		if err := d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		// What a dead master leaves: the head claimed until shortly.
		claimed := time.Now().Add(50 * time.Millisecond).UnixMilli()
		testdb.ExecOn(t, r.h, "UPDATE notify_deliveries SET next_attempt_at = ?, attempts = attempts + 1 WHERE event_id = ?", claimed, want[0])
		recv.setDown(false)
		stop := run(d)
		defer stop()
		sameOrder(t, idsOf(recv.waitFor(2)), want)
	})
}

// After the retry window a delivery fails for good and the next event
// goes out: one receiver that refuses an event does not block the rest.
func TestDeliveryFailsAfterTheRetryWindow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		recv := newReceiver(t, testSecret)
		r.addHook(t, recv.URL())
		recv.status = 503
		first := r.record(t, 0, 1)
		opts := fast
		opts.RetryFor = time.Millisecond
		d := notify.NewDispatcher(r.h, r.master, opts)
		for i := 0; len(deliveries(t, r.h)) == 0 || deliveries(t, r.h)[0].Status != string(notify.StatusFailed); i++ {
			if err := d.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if i > 1000 {
				t.Fatal("delivery never failed")
			}
			time.Sleep(time.Millisecond)
		}
		row := deliveries(t, r.h)[0]
		if row.EventID != first[0] || row.LastStatus != 503 || row.LastError == "" {
			t.Fatalf("failed delivery %+v: want the 503 kept", row)
		}
		recv.mu.Lock()
		recv.status = 0
		recv.mu.Unlock()
		second := r.record(t, 1, 1)
		if err := d.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		sameOrder(t, idsOf(recv.waitFor(1)), second)
	})
}

// Only the master delivers: a worker's dispatcher leaves the outbox alone,
// and a webhook gets only the kinds it asked for.
func TestOnlyTheMasterDeliversAndFiltersApply(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		recv := newReceiver(t, testSecret)
		r.addHook(t, recv.URL(), string(notify.XrayCrashed))
		worker := cluster.NewNode(config.NodeConfig{Role: config.NodeRoleWorker, NodeID: "w1"}, true, r.h)
		workerRec := notify.NewRecorder(r.h, "w1")
		crash, err := workerRec.Record(context.Background(), nil, notify.New(notify.XrayCrashed, nil))
		if err != nil {
			t.Fatal(err)
		}
		r.record(t, 0, 1) // login.failed: not this webhook's
		if err := notify.NewDispatcher(r.h, worker, fast).RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if rows := deliveries(t, r.h); len(rows) != 0 {
			t.Fatalf("a worker's dispatcher queued %+v", rows)
		}
		if err := notify.NewDispatcher(r.h, r.master, fast).RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := recv.waitFor(1)
		sameOrder(t, idsOf(got), []string{crash.ID})
		if got[0].NodeID != "w1" {
			t.Fatalf("event %+v: want the worker's node id", got[0])
		}
		if rows := deliveries(t, r.h); len(rows) != 1 {
			t.Fatalf("deliveries %+v: want only the xray.crashed one", rows)
		}
	})
}

func newDispatcherOnce(r rig) error {
	return notify.NewDispatcher(r.h, r.master, fast).RunOnce(context.Background())
}

// A receiver that hangs holds only its own queue: the other webhook gets
// its events while the first post is still open, and the hanging one is
// delivered, not timed out, once it answers.
func TestHangingReceiverHoldsOnlyItsOwnQueue(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		slow, quick := newReceiver(t, testSecret), newReceiver(t, testSecret)
		release := make(chan struct{})
		slow.hold = release
		r.addHook(t, slow.URL())
		r.addHook(t, quick.URL())
		want := r.record(t, 0, 3)
		opts := fast
		opts.Timeout = time.Minute // only a dispatcher that waits on the slow one reaches it
		done := make(chan error, 1)
		go func() { done <- notify.NewDispatcher(r.h, r.master, opts).RunOnce(context.Background()) }()
		sameOrder(t, idsOf(quick.waitFor(3)), want)
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		sameOrder(t, idsOf(slow.waitFor(3)), want)
		for _, row := range deliveries(t, r.h) {
			if row.Status != string(notify.StatusDelivered) || row.Attempts != 1 {
				t.Fatalf("delivery %+v: want delivered at the first attempt", row)
			}
		}
	})
}

// Finished deliveries and their events leave the log after Keep; a
// pending delivery and its event stay, however old.
func TestOldFinishedDeliveriesArePruned(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		recv := newReceiver(t, testSecret)
		r.addHook(t, recv.URL())
		r.record(t, 0, 3)
		if err := newDispatcherOnce(r); err != nil {
			t.Fatal(err)
		}
		recv.waitFor(3)
		recv.setDown(true)
		stuck := r.record(t, 3, 1)
		if err := newDispatcherOnce(r); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-2 * time.Hour).UnixMilli()
		testdb.ExecOn(t, r.h, "UPDATE notify_events SET at = ?", old)
		testdb.ExecOn(t, r.h, "UPDATE notify_deliveries SET created_at = ?", old)
		opts := fast
		opts.Keep, opts.RetryFor = time.Hour, 1000*time.Hour
		if err := notify.NewDispatcher(r.h, r.master, opts).RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		rows := deliveries(t, r.h)
		if len(rows) != 1 || rows[0].EventID != stuck[0] || rows[0].Status != string(notify.StatusPending) {
			t.Fatalf("deliveries after pruning %+v: want only the pending one", rows)
		}
		var ids []string
		if err := r.h.Current().Model(&model.NotifyEvent{}).Pluck("event_id", &ids).Error; err != nil {
			t.Fatal(err)
		}
		sameOrder(t, ids, stuck)
	})
}

// An event the master records outside a transaction wakes its dispatcher:
// with a poll that never comes round in the test, it still goes out.
func TestRecordingWakesTheDispatcher(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		recv := newReceiver(t, testSecret)
		r.addHook(t, recv.URL())
		opts := fast
		opts.Poll = time.Hour
		d := notify.NewDispatcher(r.h, r.master, opts)
		first := r.record(t, 0, 1)
		stop := run(d) // its first pass delivers what is already there
		defer stop()
		sameOrder(t, idsOf(recv.waitFor(1)), first)
		r.rec = notify.NewRecorderWaking(r.h, "m1", d.Wake)
		second := r.record(t, 1, 1)
		sameOrder(t, idsOf(recv.waitFor(2)), append(first, second...))
	})
}
