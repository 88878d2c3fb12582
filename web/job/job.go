// Package job runs the panel's periodic work (traffic, Xray health, online
// clients) on a cron scheduler tied to the server's context.
package job

import (
	"context"
	"errors"
	"log"
	"sync/atomic"
	"time"

	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/iplimit"
	"github.com/mhsanaei/3x-ui/v2/traffic"
	"github.com/mhsanaei/3x-ui/v2/web/service"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
	"github.com/robfig/cron/v3"
)

// Deps are the services the jobs drive.
type Deps struct {
	Xray     *xrayrun.XrayService
	Inbounds *inbound.InboundService
	// IPLimit, when set, is checked every IPLimitInterval (default 5s).
	IPLimit *iplimit.IPLimitService
	// Traffic, when set, replaces the single-node traffic job (shared
	// mode: the sink journals and a flush loop writes).
	Traffic         cron.Job
	IPLimitInterval time.Duration
	// TrafficInterval defaults to 10s, HealthInterval to 2s.
	TrafficInterval time.Duration
	HealthInterval  time.Duration
}

// Scheduler owns the cron runner and the jobs it runs.
type Scheduler struct {
	cron *cron.Cron
}

// Start schedules the jobs; they stop when ctx ends or Stop is called.
func Start(ctx context.Context, d Deps) *Scheduler {
	if d.TrafficInterval <= 0 {
		d.TrafficInterval = 10 * time.Second
	}
	if d.HealthInterval <= 0 {
		d.HealthInterval = 2 * time.Second
	}
	c := cron.New(cron.WithSeconds(), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	if d.IPLimitInterval <= 0 {
		d.IPLimitInterval = 5 * time.Second
	}
	traffic := d.Traffic
	if traffic == nil {
		traffic = NewXrayTrafficJob(d.Xray, d.Inbounds)
	}
	c.Schedule(cron.Every(d.TrafficInterval), traffic)
	c.Schedule(cron.Every(d.HealthInterval), &XrayHealthJob{xray: d.Xray})
	c.Schedule(cron.Every(d.TrafficInterval), cron.FuncJob(func() {
		if err := d.Xray.RefreshOnlineClients(); err != nil {
			log.Printf("online clients: %v", err)
		}
	}))
	if d.IPLimit != nil {
		c.Schedule(cron.Every(d.IPLimitInterval), cron.FuncJob(func() {
			if err := d.IPLimit.CheckOnce(); err != nil {
				log.Printf("ip limit: %v", err)
			}
		}))
	}
	c.Start()
	s := &Scheduler{cron: c}
	go func() {
		<-ctx.Done()
		s.Stop()
	}()
	return s
}

// Stop waits for running jobs to finish.
func (s *Scheduler) Stop() {
	<-s.cron.Stop().Done()
}

// XrayTrafficJob drains Xray's counters into the database and applies the
// enable/disable changes that the new totals cause.
type XrayTrafficJob struct {
	xray      *xrayrun.XrayService
	inbounds  *inbound.InboundService
	counters  traffic.Counters
	needApply atomic.Bool
}

// NewXrayTrafficJob also installs the single-node traffic sink on xraySvc.
func NewXrayTrafficJob(xraySvc *xrayrun.XrayService, inbounds *inbound.InboundService) *XrayTrafficJob {
	j := &XrayTrafficJob{xray: xraySvc, inbounds: inbounds}
	xraySvc.SetTrafficSink(j.sink)
	return j
}

func (j *XrayTrafficJob) sink(in []*xray.Traffic, clients []*xray.ClientTraffic) error {
	needApply, err := j.counters.AddTraffic(in, clients)
	if needApply {
		j.needApply.Store(true)
	}
	return err
}

// Run is one traffic tick.
func (j *XrayTrafficJob) Run() {
	if !j.xray.IsXrayRunning() {
		return
	}
	if err := j.xray.DrainTraffic(); err != nil {
		log.Printf("traffic job: %v", err)
	}
	if j.needApply.CompareAndSwap(true, false) {
		if err := j.xray.ApplyFromDatabase(); err != nil {
			log.Printf("traffic job: apply after quota/expiry change: %v", err)
			j.needApply.Store(true)
		}
	}
}

// XrayHealthJob restarts Xray if it is down and nobody stopped it on purpose
// (the process supervisor handles crashes; this covers a failed start).
type XrayHealthJob struct{ xray *xrayrun.XrayService }

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
