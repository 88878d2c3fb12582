package notify_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/database/testdb"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/inbound/inboundtest"
	"github.com/mhsanaei/3x-ui/v2/traffic"
)

// storedEvents are the recorded events of kinds, oldest first.
func storedEvents(t *testing.T, r rig, kinds ...string) []model.NotifyEvent {
	t.Helper()
	var rows []model.NotifyEvent
	if err := r.h.Current().Where("kind IN ?", kinds).Order("seq").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// clientListEvent is the payload of client.added/changed/disabled.
type clientListEvent struct {
	Action  string `json:"action"`
	Count   int    `json:"count"`
	Omitted int    `json:"omitted"`
	Clients []struct {
		Email     string `json:"email"`
		InboundID int    `json:"inboundId"`
	} `json:"clients"`
}

func decodeList(t *testing.T, ev model.NotifyEvent) clientListEvent {
	t.Helper()
	var p clientListEvent
	if err := json.Unmarshal([]byte(ev.Payload), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// Each admin write that adds, edits or disables clients records one event
// per kind in its own transaction, naming the clients (never their keys);
// a repeated save and a refused write record nothing.
func TestClientWritesRecordAddedChangedDisabledOnce(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		store := inbound.New(r.h, r.master)
		store.SetClientEvents(r.rec.ClientsWritten)
		kinds := []string{"client.added", "client.changed", "client.disabled"}
		a, c := inboundtest.Client(model.VLESS, "ann"), inboundtest.Client(model.VLESS, "cid")
		in, err := store.AddInbound(inboundtest.Inbound(model.VLESS, 29201, a, c))
		if err != nil {
			t.Fatal(err)
		}
		got := storedEvents(t, r, kinds...)
		if len(got) != 1 || got[0].Kind != "client.added" || decodeList(t, got[0]).Count != 2 {
			t.Fatalf("after adding an inbound with 2 clients: %+v", got)
		}
		for _, secret := range []string{a["id"].(string), c["id"].(string)} {
			if strings.Contains(got[0].Payload, secret) {
				t.Fatalf("payload %s carries a client's uuid", got[0].Payload)
			}
		}
		bob := inboundtest.Client(model.VLESS, "bob")
		add := &model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, bob)}
		if err := store.AddInboundClient(add); err != nil {
			t.Fatal(err)
		}
		if err := store.AddInboundClient(add); err == nil {
			t.Fatal("adding bob twice must be refused")
		}
		bob["totalGB"] = 5 << 30
		edit := func() error {
			return store.UpdateInboundClient(&model.Inbound{Id: in.Id, Settings: inboundtest.Settings(model.VLESS, bob)}, bob["id"].(string))
		}
		if err := edit(); err != nil {
			t.Fatal(err)
		}
		if err := edit(); err != nil { // the same values again: no change
			t.Fatal(err)
		}
		bob["enable"] = false
		if err := edit(); err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second finds them off already: nothing
			if _, err := store.BulkClients(inbound.BulkRequest{Action: inbound.BulkDisable, Emails: []string{"ann", "cid"}}); err != nil {
				t.Fatal(err)
			}
		}
		// An inbound edit: dee is new, bob turned back on (a change), ann
		// and cid as stored; then the same edit again.
		cur, err := store.GetInbound(in.Id)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := inbound.ParseInboundClients(cur.Settings)
		if err != nil {
			t.Fatal(err)
		}
		var list []map[string]any
		for _, c := range stored {
			m := map[string]any{"id": c.ID, "email": c.Email, "enable": c.Enable, "totalGB": c.TotalGB, "subId": c.SubID, "flow": c.Flow}
			if c.Email == "bob" {
				m["enable"] = true
			}
			list = append(list, m)
		}
		list = append(list, inboundtest.Client(model.VLESS, "dee"))
		cur.Settings = inboundtest.Settings(model.VLESS, list...)
		for range 2 {
			if _, err := store.UpdateInbound(cur); err != nil {
				t.Fatal(err)
			}
		}
		got = storedEvents(t, r, kinds...)
		want := []string{"client.added 2 ann,cid", "client.added 1 bob", "client.changed 1 bob", "client.disabled 1 bob",
			"client.disabled 2 ann,cid", "client.added 1 dee", "client.changed 1 bob"}
		if fmt.Sprint(eventSummary(t, got)) != fmt.Sprint(want) {
			t.Fatalf("events %v: want %v", eventSummary(t, got), want)
		}
	})
}

// eventSummary is "kind count emails" per client-list event.
func eventSummary(t *testing.T, evs []model.NotifyEvent) []string {
	var out []string
	for _, ev := range evs {
		p := decodeList(t, ev)
		var emails []string
		for _, c := range p.Clients {
			emails = append(emails, c.Email)
		}
		out = append(out, fmt.Sprintf("%s %d %s", ev.Kind, p.Count, strings.Join(emails, ",")))
	}
	return out
}

// A bulk add of many clients is one client.added event whose list is cut
// to fit the payload limit, with the full count and how many were left out.
func TestBulkClientEventStaysInsideThePayloadLimit(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		store := inbound.New(r.h, r.master)
		store.SetClientEvents(r.rec.ClientsWritten)
		in, err := store.AddInbound(inboundtest.Inbound(model.VLESS, 29202))
		if err != nil {
			t.Fatal(err)
		}
		prefix := strings.Repeat("a-rather-long-client-name-", 3)
		if _, err := store.AddManyClients(inbound.AddManyRequest{InboundId: in.Id, Prefix: prefix, Count: 400}); err != nil {
			t.Fatal(err)
		}
		got := storedEvents(t, r, "client.added")
		if len(got) != 1 {
			t.Fatalf("%d client.added events for one bulk add: want 1", len(got))
		}
		p := decodeList(t, got[0])
		if p.Count != 400 || p.Omitted == 0 || len(p.Clients)+p.Omitted != 400 || len(got[0].Payload) > 8<<10 {
			t.Fatalf("payload of %d bytes: count %d, listed %d, omitted %d", len(got[0].Payload), p.Count, len(p.Clients), p.Omitted)
		}
	})
}

// The master's traffic-rules pass warns at 80 % and 95 % of a client's
// quota and 3 days and 1 day before its expiry, once per crossing: not
// again on the next pass, again after the traffic was reset, and again
// for a new expiry time.
func TestQuotaAndExpiryWarningsOncePerCrossing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		store := inbound.New(r.h, r.master)
		c := inboundtest.Client(model.VLESS, "quota-kim")
		c["totalGB"] = 1000
		c["expiryTime"] = time.Now().Add(48 * time.Hour).UnixMilli()
		in, err := store.AddInbound(inboundtest.Inbound(model.VLESS, 29203, c))
		if err != nil {
			t.Fatal(err)
		}
		f := traffic.NewFlusher(r.h, traffic.NewJournal(t.TempDir()+"/j.json"), "m1", true, 0,
			traffic.FlushDeps{ClientsDisabled: r.rec.ClientsDisabled, RulesPass: r.rec.ClientWarnings})
		pass := func(want ...string) {
			t.Helper()
			if _, err := f.ReconcileOnce(); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range storedEvents(t, r, "client.quota", "client.expiring") {
				var p struct {
					Percent int `json:"percent"`
					Days    int `json:"days"`
				}
				if err := json.Unmarshal([]byte(ev.Payload), &p); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%s %d", ev.Kind, p.Percent+p.Days))
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("events %v: want %v", got, want)
			}
		}
		pass("client.expiring 3")
		pass("client.expiring 3")
		testdb.ExecOn(t, r.h, "UPDATE client_traffics SET up = 500, down = 310 WHERE email = ?", "quota-kim")
		pass("client.expiring 3", "client.quota 80")
		pass("client.expiring 3", "client.quota 80")
		testdb.ExecOn(t, r.h, "UPDATE client_traffics SET up = 500, down = 460 WHERE email = ?", "quota-kim")
		pass("client.expiring 3", "client.quota 80", "client.quota 95")
		pass("client.expiring 3", "client.quota 80", "client.quota 95")
		if err := store.ResetClientTraffic(in.Id, "quota-kim"); err != nil {
			t.Fatal(err)
		}
		pass("client.expiring 3", "client.quota 80", "client.quota 95")
		testdb.ExecOn(t, r.h, "UPDATE client_traffics SET up = 900, down = 0 WHERE email = ?", "quota-kim")
		pass("client.expiring 3", "client.quota 80", "client.quota 95", "client.quota 80")
		// Now 12 hours left: the 1-day warning, once.
		soon := time.Now().Add(12 * time.Hour).UnixMilli()
		testdb.ExecOn(t, r.h, "UPDATE client_traffics SET expiry_time = ? WHERE email = ?", soon, "quota-kim")
		pass("client.expiring 3", "client.quota 80", "client.quota 95", "client.quota 80", "client.expiring 1")
		pass("client.expiring 3", "client.quota 80", "client.quota 95", "client.quota 80", "client.expiring 1")
		// A new expiry time is a new occurrence.
		later := time.Now().Add(20 * time.Hour).UnixMilli()
		testdb.ExecOn(t, r.h, "UPDATE client_traffics SET expiry_time = ? WHERE email = ?", later, "quota-kim")
		pass("client.expiring 3", "client.quota 80", "client.quota 95", "client.quota 80", "client.expiring 1", "client.expiring 1")
		pass("client.expiring 3", "client.quota 80", "client.quota 95", "client.quota 80", "client.expiring 1", "client.expiring 1")
	})
}

// The warnings are notices: when they fail (here their table is gone)
// the rules still disable a client that ran out, with its event.
func TestFailingWarningsDoNotStopTheRules(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		c := inboundtest.Client(model.VLESS, "spent-lee")
		c["totalGB"] = 100
		if _, err := inbound.New(r.h, r.master).AddInbound(inboundtest.Inbound(model.VLESS, 29204, c)); err != nil {
			t.Fatal(err)
		}
		testdb.ExecOn(t, r.h, "UPDATE client_traffics SET up = 100 WHERE email = ?", "spent-lee")
		testdb.ExecOn(t, r.h, "ALTER TABLE notify_marks RENAME TO marks_away")
		f := traffic.NewFlusher(r.h, traffic.NewJournal(t.TempDir()+"/j.json"), "m1", true, 0,
			traffic.FlushDeps{ClientsDisabled: r.rec.ClientsDisabled, RulesPass: r.rec.ClientWarnings})
		if changed, err := f.ReconcileOnce(); err != nil || !changed {
			t.Fatalf("ReconcileOnce with the warnings failing = %v, %v; want the client disabled", changed, err)
		}
		if got := storedEvents(t, r, "client.depleted"); len(got) != 1 {
			t.Fatalf("%d client.depleted events, want 1", len(got))
		}
		var enabled []bool
		if err := r.h.Current().Model(&model.ClientTraffic{}).Where("email = ?", "spent-lee").Pluck("enable", &enabled).Error; err != nil || len(enabled) != 1 || enabled[0] {
			t.Fatalf("spent-lee enable = %v, %v; want disabled", enabled, err)
		}
	})
}

// A jump past both quota steps is one notice (95 %); falling back between
// them and rising again is a new 95 % crossing, the 80 % one still told.
func TestQuotaJumpIsOneNotice(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		c := inboundtest.Client(model.VLESS, "jumper")
		c["totalGB"] = 1000
		if _, err := inbound.New(r.h, r.master).AddInbound(inboundtest.Inbound(model.VLESS, 29205, c)); err != nil {
			t.Fatal(err)
		}
		f := traffic.NewFlusher(r.h, traffic.NewJournal(t.TempDir()+"/j.json"), "m1", true, 0,
			traffic.FlushDeps{RulesPass: r.rec.ClientWarnings})
		percents := func(used int) string {
			t.Helper()
			testdb.ExecOn(t, r.h, "UPDATE client_traffics SET up = ?, down = 0 WHERE email = ?", used, "jumper")
			if _, err := f.ReconcileOnce(); err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, ev := range storedEvents(t, r, "client.quota") {
				var p struct{ Percent int }
				if err := json.Unmarshal([]byte(ev.Payload), &p); err != nil {
					t.Fatal(err)
				}
				out = append(out, fmt.Sprint(p.Percent))
			}
			return strings.Join(out, ",")
		}
		for _, step := range []struct {
			used int
			want string
		}{{970, "95"}, {980, "95"}, {850, "95"}, {960, "95,95"}, {100, "95,95"}, {820, "95,95,80"}} {
			if got := percents(step.used); got != step.want {
				t.Fatalf("at %d of 1000: client.quota percents %s, want %s", step.used, got, step.want)
			}
		}
	})
}
