package xrayrun

import (
	"fmt"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xrayconf"
)

// TestSnapshotRendererEqualsFullRender: rendering successive snapshots
// built copy-on-write (as a delta sync builds them) gives exactly what a
// full render gives, and re-renders only the replaced inbounds.
func TestSnapshotRendererEqualsFullRender(t *testing.T) {
	const template = `{"inbounds":[{"tag":"api","port":1,"protocol":"tunnel"}],"outbounds":[]}`
	vless := func(id int, emails ...string) *model.Inbound {
		clients := ""
		for i, e := range emails {
			if i > 0 {
				clients += ","
			}
			clients += fmt.Sprintf(`{"id":"00000000-0000-4000-8000-%012d","email":%q,"enable":true}`, id*100+i, e)
		}
		in := &model.Inbound{Id: id, Enable: true, Port: 1000 + id, Protocol: model.VLESS, Tag: fmt.Sprintf("in-%d", id),
			Settings: `{"decryption":"none","clients":[` + clients + `]}`, StreamSettings: `{"network":"tcp"}`}
		for _, e := range emails {
			in.ClientStats = append(in.ClientStats, xray.ClientTraffic{Email: e, Enable: true, InboundId: id})
		}
		return in
	}
	snap := &cluster.Snapshot{Version: 1, XrayTemplate: template,
		Inbounds: []*model.Inbound{vless(1, "a@x", "b@x"), vless(2, "c@x"), vless(3, "d@x")}}
	r := &snapshotRenderer{}
	check := func(s *cluster.Snapshot, rerendered int) {
		t.Helper()
		before := r.parts
		got, err := r.render(s)
		if err != nil {
			t.Fatal(err)
		}
		want, err := xrayconf.Render(s.XrayTemplate, s.Inbounds)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equals(want) {
			t.Fatalf("version %d: cached render differs from a full render", s.Version)
		}
		fresh := 0
		for _, in := range s.Inbounds {
			if _, cached := before[in]; !cached {
				fresh++
			}
		}
		if fresh != rerendered {
			t.Fatalf("version %d: %d inbounds rendered anew, want %d", s.Version, fresh, rerendered)
		}
	}
	check(snap, 3)

	// One client added to inbound 2 (a new pointer), the rest shared.
	next := *snap
	next.Version = 2
	next.Inbounds = append([]*model.Inbound(nil), snap.Inbounds...)
	next.Inbounds[1] = vless(2, "c@x", "e@x")
	check(&next, 1)

	// Inbound 3 disabled and inbound 1's only traffic row for b@x disabled.
	third := next
	third.Version = 3
	third.Inbounds = append([]*model.Inbound(nil), next.Inbounds...)
	off := *third.Inbounds[2]
	off.Enable = false
	third.Inbounds[2] = &off
	depleted := vless(1, "a@x", "b@x")
	depleted.ClientStats[1].Enable = false
	third.Inbounds[0] = depleted
	check(&third, 2)

	// An inbound deleted: nothing re-rendered.
	fourth := third
	fourth.Version = 4
	fourth.Inbounds = []*model.Inbound{third.Inbounds[0], third.Inbounds[1]}
	check(&fourth, 0)

	// A new template renders everything again.
	fifth := fourth
	fifth.Version = 5
	fifth.XrayTemplate = `{"inbounds":[{"tag":"api","port":2,"protocol":"tunnel"}],"outbounds":[]}`
	got, err := r.render(&fifth)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := xrayconf.Render(fifth.XrayTemplate, fifth.Inbounds)
	if !got.Equals(want) {
		t.Fatal("after a template change the render must follow the new template")
	}
}

// BenchmarkSnapshotRender20k: a worker's render of a 20 × 1,000-client
// snapshot after one client changed, in full (before) and with the
// per-inbound cache (one inbound re-rendered).
func BenchmarkSnapshotRender20k(b *testing.B) {
	const template = `{"inbounds":[{"tag":"api","port":1,"protocol":"tunnel"}],"outbounds":[]}`
	inbound := func(id, extra int) *model.Inbound {
		in := &model.Inbound{Id: id, Enable: true, Port: 1000 + id, Protocol: model.VLESS, Tag: fmt.Sprintf("in-%d", id),
			StreamSettings: `{"network":"tcp"}`}
		settings := []byte(`{"decryption":"none","clients":[`)
		for j := 0; j < 1000+extra; j++ {
			if j > 0 {
				settings = append(settings, ',')
			}
			email := fmt.Sprintf("u%02d-%04d@bench", id, j)
			settings = fmt.Appendf(settings, `{"id":"00000000-0000-4000-8000-%012d","email":%q,"enable":true,"flow":""}`, id*10000+j, email)
			in.ClientStats = append(in.ClientStats, xray.ClientTraffic{Email: email, Enable: true, InboundId: id})
		}
		in.Settings = string(append(settings, "]}"...))
		return in
	}
	base := &cluster.Snapshot{Version: 1, XrayTemplate: template}
	for i := 1; i <= 20; i++ {
		base.Inbounds = append(base.Inbounds, inbound(i, 0))
	}
	changed := *base
	changed.Version = 2
	changed.Inbounds = append([]*model.Inbound(nil), base.Inbounds...)
	changed.Inbounds[0] = inbound(1, 1)
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			if _, err := xrayconf.Render(template, changed.Inbounds); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		r := &snapshotRenderer{}
		for b.Loop() {
			b.StopTimer()
			if _, err := r.render(base); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := r.render(&changed); err != nil {
				b.Fatal(err)
			}
		}
	})
}
