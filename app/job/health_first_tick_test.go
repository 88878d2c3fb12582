package job

import (
	"syscall"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/notify"
)

// TestCrashBeforeFirstHealthTickIsReported: Xray is SIGKILLed before the
// health job's first tick, as when it dies in the panel's first two
// seconds. Whether its supervisor restarted it before the tick or the
// tick finds it down and restarts it, the first tick records the crash
// and the recovery once each: the multi-node notify test lost exactly
// that crash when the first tick took what it saw as its baseline.
func TestCrashBeforeFirstHealthTickIsReported(t *testing.T) {
	for _, tc := range []struct {
		name string
		// ready reports when to tick after the kill.
		ready func(r *runtime, pid int) bool
	}{
		{"restarted by the supervisor", func(r *runtime, pid int) bool {
			p := r.xray.Process().Pid()
			return p != 0 && p != pid && r.xray.Process().Restarts() == 1
		}},
		{"found down by the tick", func(r *runtime, _ int) bool { return !r.xray.IsXrayRunning() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRuntime(t, dbtest.New(t, dbtest.SQLite))
			r.addInbound(model.VLESS, nil, "early@test")
			health := NewXrayHealthJob(r.xray, notify.NewRecorder(database.Process(), "local"))
			pid := r.xray.Process().Pid()
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			if !eventually(10*time.Second, func() bool { return tc.ready(r, pid) }) {
				t.Fatal("the killed Xray was neither seen down nor restarted within 10s")
			}
			health.Run()
			if !eventually(10*time.Second, func() bool {
				health.Run()
				return r.xray.IsXrayRunning()
			}) {
				t.Fatal("Xray did not run again within 10s")
			}
			var kinds []string
			if err := database.GetDB().Model(&model.NotifyEvent{}).Order("seq").Pluck("kind", &kinds).Error; err != nil {
				t.Fatal(err)
			}
			if len(kinds) != 2 || kinds[0] != string(notify.XrayCrashed) || kinds[1] != string(notify.XrayRecovered) {
				t.Fatalf("recorded events %q: want xray.crashed then xray.recovered", kinds)
			}
		})
	}
}
