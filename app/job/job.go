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
	// TrafficInterval defaults to 10s, HealthInterval to 2s.
	TrafficInterval time.Duration
	HealthInterval  time.Duration
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
		every("xray health", d.HealthInterval, (&XrayHealthJob{xray: d.Xray}).Run),
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
	return loops
}

// XrayHealthJob restarts Xray if it is down and nobody stopped it on purpose
// (the process supervisor handles crashes; this covers a failed start).
type XrayHealthJob struct{ xray *xrayrun.Runner }

// Run is one health tick.
func (j *XrayHealthJob) Run() {
	if j.xray.IsXrayRunning() || j.xray.IsManuallyStopped() {
		return
	}
	// A worker waits for its first snapshot (cache or database) to start.
	if err := j.xray.RestartXray(true); err != nil && !errors.Is(err, service.ErrNoSnapshot) {
		log.Printf("xray health: restart failed: %v", err)
	}
}
