package notify_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/notify"
)

// A login from an address the user never used is recorded once, by any
// node (the seen set is in the shared database); the same address again,
// from this node or another, records nothing; the set stays bounded.
func TestLoginFromANewAddressRecordedOnce(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		worker := notify.NewRecorder(r.h, "w1")
		r.rec.LoginSucceeded("admin", "198.51.100.7")
		r.rec.LoginSucceeded("admin", "198.51.100.7")
		worker.LoginSucceeded("admin", "198.51.100.7")
		worker.LoginSucceeded("admin", "203.0.113.9")
		r.rec.LoginSucceeded("ops", "198.51.100.7")
		got := storedEvents(t, r, "login.succeeded")
		var seen []string
		for _, ev := range got {
			var p struct{ Username, IP string }
			if err := json.Unmarshal([]byte(ev.Payload), &p); err != nil {
				t.Fatal(err)
			}
			seen = append(seen, ev.NodeID+" "+p.Username+" "+p.IP)
		}
		want := []string{"m1 admin 198.51.100.7", "w1 admin 203.0.113.9", "m1 ops 198.51.100.7"}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Fatalf("login.succeeded events %v: want %v", seen, want)
		}
		for i := range 60 {
			r.rec.LoginSucceeded("roamer", fmt.Sprintf("10.0.0.%d", i))
		}
		var n int64
		if err := r.h.Current().Model(&model.NotifyLoginIP{}).Where("username = ?", "roamer").Count(&n).Error; err != nil || n != 50 {
			t.Fatalf("roamer's remembered addresses: %d, %v; want the bound, 50", n, err)
		}
	})
}

// The master that takes the lease another master held records
// lease.moved with both node ids, once: not on its renewals, not when a
// master takes back its own lease, and never from a master refused.
func TestLeaseMovedRecordedByTheNewMasterOnce(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, b dbtest.Backend) {
		t.Parallel()
		r := newRig(t, b)
		conn := r.h.Current()
		take := func(holder string) error {
			return database.TakeMasterLease(conn, holder, time.Minute, r.rec.LeaseMoved)
		}
		moves := func() []string {
			var out []string
			for _, ev := range storedEvents(t, r, "lease.moved") {
				var p struct{ OldNodeID, NewNodeID string }
				if err := json.Unmarshal([]byte(ev.Payload), &p); err != nil {
					t.Fatal(err)
				}
				out = append(out, p.OldNodeID+">"+p.NewNodeID)
			}
			return out
		}
		m1, m2, m3 := "m1 at 10.0.0.1 #aa", "m2 at 10.0.0.2 #bb", "m3 #cc"
		for _, step := range []func() error{
			func() error { return take(m1) }, // first master: nothing moved
			func() error { return take(m1) }, // renewal
			func() error { return database.ReleaseMasterLease(conn, m1) },
			func() error { return take(m1) }, // its own lease back
			func() error { return database.ReleaseMasterLease(conn, m1) },
			func() error { return take(m2) }, // graceful handover
			func() error { return take(m2) },
		} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
		var held *database.LeaseHeldError
		if err := take(m3); !errors.As(err, &held) {
			t.Fatalf("m3 while m2 holds the lease: %v", err)
		}
		// m2 dies: its lease runs out and m3 takes over.
		if err := conn.Model(&model.SharedState{}).Where("`key` = ?", database.MasterLeaseKey).
			Update("version", time.Now().Unix()-1).Error; err != nil {
			t.Fatal(err)
		}
		if err := take(m3); err != nil {
			t.Fatal(err)
		}
		if err := take(m3); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(moves()); got != "[m1>m2 m2>m3]" {
			t.Fatalf("lease.moved events %s: want m1>m2 then m2>m3", got)
		}
	})
}
