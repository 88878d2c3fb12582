package notify_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"github.com/mhsanaei/3x-ui/v2/errs/errstest"
	"github.com/mhsanaei/3x-ui/v2/notify"
)

// Bad input names its field and stores nothing; a worker may not write.
func TestWebhookInputIsCheckedBeforeAnythingChanges(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		str := func(s string) *string { return &s }
		for _, c := range []struct {
			in    notify.WebhookInput
			field string
		}{
			{notify.WebhookInput{}, "url"},
			{notify.WebhookInput{URL: str("ftp://example.com/x")}, "url"},
			{notify.WebhookInput{URL: str("http:///nohost")}, "url"},
			{notify.WebhookInput{URL: str("https://user:pw@example.com/")}, "url"},
			{notify.WebhookInput{URL: str("https://example.com/"), Secret: str("short")}, "secret"},
			{notify.WebhookInput{URL: str("https://example.com/"), Events: &[]string{"login.failed", "nope"}}, "events[1]"},
			{notify.WebhookInput{URL: str("https://example.com/"), Events: &[]string{}}, "events"},
		} {
			_, err := r.hooks.Add(c.in)
			errstest.Want(t, err, errs.KindInvalid, c.field)
		}
		if list, _ := r.hooks.List(); len(list) != 0 {
			t.Fatalf("bad adds stored %+v", list)
		}
		w, err := r.hooks.Add(notify.WebhookInput{URL: str(" https://example.com/hook ")})
		if err != nil || len(w.Secret) != 64 || w.URL != "https://example.com/hook" || len(w.Events) != 1 || w.Events[0] != "*" || !w.Enabled {
			t.Fatalf("add = %+v, %v: want a random secret, every kind, enabled", w, err)
		}
		dump := func() string {
			return fmt.Sprint(dbtest.DumpTables(t, r.h.Current(), "notify_webhooks", "notify_deliveries", "notify_events"))
		}
		before := dump()
		_, err = r.hooks.Update(w.ID, notify.WebhookInput{Enabled: new(bool), URL: str("gopher://x")})
		errstest.Want(t, err, errs.KindInvalid, "url")
		if after := dump(); after != before {
			t.Fatalf("a refused update changed\n%s\ninto\n%s", before, after)
		}
		worker := notify.NewWebhooks(r.h, cluster.NewNode(config.NodeConfig{Role: config.NodeRoleWorker}, true, r.h))
		if err := worker.Delete(w.ID); errs.KindOf(err) != errs.KindForbidden {
			t.Fatalf("worker delete: %v, want forbidden", err)
		}
		if err := r.hooks.Delete(w.ID); err != nil {
			t.Fatal(err)
		}
		errstest.Want(t, r.hooks.Delete(w.ID), errs.KindNotFound, "id")
	})
}

// The test button posts at once to that webhook only and logs it.
func TestSendTestPostsToOneWebhook(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		recv, other := newReceiver(t, testSecret), newReceiver(t, testSecret)
		w := r.addHook(t, recv.URL())
		r.addHook(t, other.URL())
		d, err := r.hooks.SendTest(context.Background(), w.ID)
		if err != nil || d.Status != string(notify.StatusDelivered) || d.LastStatus != 200 {
			t.Fatalf("SendTest = %+v, %v: want delivered with 200", d, err)
		}
		got := recv.waitFor(1)
		if got[0].Kind != notify.Test || got[0].ID != d.EventID {
			t.Fatalf("received %+v: want the test event %s", got[0], d.EventID)
		}
		if err := notify.NewDispatcher(r.h, r.master, fast).RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if evs, _ := other.events(); len(evs) != 0 {
			t.Fatalf("the other webhook got %+v", evs)
		}
		page, err := r.hooks.Deliveries(notify.DeliveryQuery{WebhookID: w.ID})
		if err != nil || page.Total != 1 || page.Items[0].Kind != string(notify.Test) || page.Items[0].Attempts != 1 {
			t.Fatalf("delivery log %+v, %v: want the one test delivery", page, err)
		}
		_, err = r.hooks.Deliveries(notify.DeliveryQuery{Status: "lost"})
		errstest.Want(t, err, errs.KindInvalid, "status")
	})
}
