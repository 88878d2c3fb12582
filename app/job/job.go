// Package job holds the panel's periodic work (traffic drain, Xray health,
// online clients, IP limits, periodic traffic resets) as named loops; the
// server runs them under its lifecycle group (util/lifecycle).
package job

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/iplimit"
	"github.com/mhsanaei/3x-ui/v2/notify"
	"github.com/mhsanaei/3x-ui/v2/util/lifecycle"
	"github.com/mhsanaei/3x-ui/v2/util/loop"
	"github.com/mhsanaei/3x-ui/v2/web/service"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// Deps are the services the jobs drive.
type Deps struct {
	Xray     *xrayrun.Runner
	Inbounds *inbound.Store
	// IPLimit, when set, is checked every IPLimitInterval (default 5s).
	IPLimit         *iplimit.Limiter
	IPLimitInterval time.Duration
	// PeriodicReset, when set (master or single node), runs every minute.
	PeriodicReset *PeriodicTrafficResetJob
	// AuditPrune, when set (master or single node), runs every hour.
	AuditPrune *AuditPruneJob
	// TrafficInterval defaults to 10s, HealthInterval to 2s.
	TrafficInterval time.Duration
	HealthInterval  time.Duration
	// Events records Xray crashes and recoveries (nil: none recorded).
	Events *notify.Recorder
}

// Loop is one named periodic job.
type Loop struct {
	Name string
	Run  lifecycle.Run
}

// every makes a loop that calls fn once per interval until ctx ends.
func every(name string, interval time.Duration, fn func()) Loop {
	return Loop{Name: name, Run: func(ctx context.Context) error {
		loop.Every(ctx, interval, fn)
		return nil
	}}
}

// Loops are the jobs for d, in start order.
func Loops(d Deps) []Loop {
	if d.TrafficInterval <= 0 {
		d.TrafficInterval = 10 * time.Second
	}
	if d.HealthInterval <= 0 {
		d.HealthInterval = 2 * time.Second
	}
	if d.IPLimitInterval <= 0 {
		d.IPLimitInterval = 5 * time.Second
	}
	loops := []Loop{
		every("traffic drain", d.TrafficInterval, (&TrafficDrainJob{Xray: d.Xray}).Run),
		every("xray health", d.HealthInterval, NewXrayHealthJob(d.Xray, d.Events).Run),
		every("online clients", d.TrafficInterval, func() {
			if err := d.Xray.RefreshOnlineClients(); err != nil {
				log.Printf("online clients: %v", err)
			}
		}),
	}
	if d.IPLimit != nil {
		loops = append(loops, every("ip limit", d.IPLimitInterval, func() {
			if err := d.IPLimit.CheckOnce(); err != nil {
				log.Printf("ip limit: %v", err)
			}
		}))
	}
	if d.PeriodicReset != nil {
		loops = append(loops, every("periodic traffic reset", time.Minute, d.PeriodicReset.Run))
	}
	if d.AuditPrune != nil {
		// Once at start too: a panel restarted more often than hourly
		// would otherwise never prune.
		loops = append(loops, Loop{Name: "audit prune", Run: func(ctx context.Context) error {
			d.AuditPrune.Run()
			loop.Every(ctx, time.Hour, d.AuditPrune.Run)
			return nil
		}})
	}
	return loops
}

// XrayHealthJob restarts Xray if it is down and nobody stopped it on purpose
// (the process supervisor handles crashes; this covers a failed start),
// and records xray.crashed when it finds Xray down or the supervisor
// restarted it since the last tick, then xray.recovered once it runs.
type XrayHealthJob struct {
	xray   *xrayrun.Runner
	events *notify.Recorder

	seen     bool // restarts holds a reading
	restarts int  // the supervisor's crash restarts at the last tick
	down     bool // a crash was reported and no recovery yet
	ran      bool // Xray ran at some tick: its absence now is a crash
}

// NewXrayHealthJob watches x and records into events. What the first
// tick would learn is read now: the supervisor's restart count, and
// whether Xray runs (a master starts it before its jobs). A crash in the
// first interval (Xray killed a second after the panel started) is then
// a crash like any other, whether the supervisor or the first tick
// restarts it, instead of the baseline that hid it.
func NewXrayHealthJob(x *xrayrun.Runner, events *notify.Recorder) *XrayHealthJob {
	return &XrayHealthJob{xray: x, events: events, seen: true, restarts: x.Process().Restarts(), ran: x.IsXrayRunning()}
}

// Run is one health tick.
func (j *XrayHealthJob) Run() {
	proc := j.xray.Process()
	crashes := proc.Restarts()
	if j.seen && crashes > j.restarts {
		j.crashed(map[string]any{"reason": proc.LastError(), "restarts": crashes, "restartedBy": "supervisor"})
	}
	j.seen, j.restarts = true, crashes
	running := j.xray.IsXrayRunning()
	if !running && !j.xray.IsManuallyStopped() {
		reason := proc.LastError()
		// A worker waits for its first snapshot (cache or database) to
		// start: not a crash.
		err := j.xray.RestartXray(true)
		if err != nil && !errors.Is(err, service.ErrNoSnapshot) {
			log.Printf("xray health: restart failed: %v", err)
			reason = err.Error()
		}
		if j.ran || (err != nil && !errors.Is(err, service.ErrNoSnapshot)) {
			j.crashed(map[string]any{"reason": reason, "restarts": crashes, "restartedBy": "health check"})
		}
		running = j.xray.IsXrayRunning()
	}
	if running {
		j.ran = true
		if j.down {
			j.down = false
			j.events.Emit(notify.XrayRecovered, map[string]any{"restarts": proc.Restarts()})
		}
	}
}

// crashed reports a crash once until Xray runs again.
func (j *XrayHealthJob) crashed(payload map[string]any) {
	if j.down {
		return
	}
	j.down = true
	j.events.Emit(notify.XrayCrashed, payload)
}
