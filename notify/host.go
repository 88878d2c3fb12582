package notify

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/util/loop"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/mem"
)

// hostHysteresis is how many percentage points a metric must fall below
// its threshold before a new crossing is reported: a value hovering at
// the threshold is one notice, not one per sample.
const hostHysteresis = 5

// DefaultNodeAlertEvery is how often NodeAlerts samples.
const DefaultNodeAlertEvery = 30 * time.Second

// HostSample is one reading of the host, in percent (negative: unknown).
type HostSample struct {
	CPU, Memory, Disk float64
}

// hostMetric ties a sample field to its kind and threshold setting.
type hostMetric struct {
	kind    Kind
	setting string
	value   func(HostSample) float64
}

func hostMetrics() []hostMetric {
	return []hostMetric{
		{HostCPUHigh, "tgCpu", func(s HostSample) float64 { return s.CPU }},
		{HostMemoryHigh, "tgMemory", func(s HostSample) float64 { return s.Memory }},
		{HostDiskHigh, "tgDisk", func(s HostSample) float64 { return s.Disk }},
	}
}

// NodeAlerts is every node's own watch (loop "node alerts"): it samples
// the host's CPU, memory and disk against tgCpu, tgMemory and tgDisk and
// records host.* once per crossing, and it checks the database connection,
// recording db.unreachable with the outage's start and end once the
// database answers again (a node cannot record while it is away).
type NodeAlerts struct {
	db     *database.Handle
	rec    *Recorder
	every  time.Duration
	now    func() time.Time
	sample func() HostSample
	high   map[Kind]bool // reported and not yet below threshold-hysteresis
	// limits are the last thresholds read (the database may be away).
	limits map[Kind]int
	// downSince is when the database stopped answering (zero: up).
	downSince time.Time
	downErr   string
}

// NewNodeAlerts samples this host every interval (DefaultNodeAlertEvery
// when not positive) and records with rec.
func NewNodeAlerts(db *database.Handle, rec *Recorder, every time.Duration) *NodeAlerts {
	if every <= 0 {
		every = DefaultNodeAlertEvery
	}
	return &NodeAlerts{db: db, rec: rec, every: every, now: time.Now, sample: newHostSampler(),
		high: map[Kind]bool{}, limits: map[Kind]int{}}
}

// Run checks every interval until ctx ends.
func (a *NodeAlerts) Run(ctx context.Context) error {
	loop.Every(ctx, a.every, func() { a.CheckOnce(ctx) })
	return nil
}

// CheckOnce checks the database connection, then the host.
func (a *NodeAlerts) CheckOnce(ctx context.Context) {
	if !a.checkDB(ctx) {
		return // nothing can be recorded while the database is away
	}
	a.checkHost(ctx, a.sample())
}

// checkDB pings the database and reports whether it answered; the first
// answer after an outage records db.unreachable.
func (a *NodeAlerts) checkDB(ctx context.Context) bool {
	err := a.ping(ctx)
	now := a.now()
	if err != nil {
		if a.downSince.IsZero() {
			a.downSince, a.downErr = now, err.Error()
			logf("notify: database unreachable: %v", err)
		}
		return false
	}
	if a.downSince.IsZero() {
		return true
	}
	_, rerr := a.rec.Record(ctx, nil, New(DBUnreachable, map[string]any{
		"since": a.downSince.UTC().Format(time.RFC3339), "until": now.UTC().Format(time.RFC3339),
		"seconds": int64(now.Sub(a.downSince) / time.Second), "error": clipRunes(a.downErr, 300)}))
	if rerr != nil {
		logf("notify: db.unreachable: %v", rerr)
		return false
	}
	a.downSince, a.downErr = time.Time{}, ""
	return true
}

func (a *NodeAlerts) ping(ctx context.Context) error {
	conn, err := a.db.Reconnect()
	if err != nil {
		return err
	}
	sqlDB, err := conn.DB()
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return sqlDB.PingContext(pctx)
}

// checkHost records host.* for each metric at or above its threshold that
// was not reported since it was last below threshold-hysteresis.
func (a *NodeAlerts) checkHost(ctx context.Context, s HostSample) {
	if conn, err := a.db.DB(); err == nil {
		if v, err := settings.ReadStrings(conn.WithContext(ctx), "tgCpu", "tgMemory", "tgDisk"); err == nil {
			for _, m := range hostMetrics() {
				if n, err := strconv.Atoi(strings.TrimSpace(v[m.setting])); err == nil {
					a.limits[m.kind] = n
				}
			}
		}
	}
	for _, m := range hostMetrics() {
		limit, v := a.limits[m.kind], m.value(s)
		switch {
		case limit <= 0 || v < 0: // off, or unknown on this host
			a.high[m.kind] = false
		case a.high[m.kind]:
			if v < float64(limit-hostHysteresis) {
				a.high[m.kind] = false
			}
		case v >= float64(limit):
			_, err := a.rec.Record(ctx, nil, New(m.kind, map[string]any{"percent": roundPct(v), "threshold": limit}))
			if err != nil {
				logf("notify: %s: %v", m.kind, err)
				continue // try again next sample
			}
			a.high[m.kind] = true
		}
	}
}

func roundPct(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

// newHostSampler reads CPU use since the previous sample (unknown at the
// first), memory in use and the root file system's use.
func newHostSampler() func() HostSample {
	var last *cpu.TimesStat
	return func() HostSample {
		s := HostSample{CPU: -1, Memory: -1, Disk: -1}
		if t, err := cpu.Times(false); err == nil && len(t) > 0 {
			cur := t[0]
			if last != nil {
				s.CPU = busyPercent(*last, cur)
			}
			last = &cur
		}
		if vm, err := mem.VirtualMemory(); err == nil {
			s.Memory = vm.UsedPercent
		}
		if du, err := disk.Usage("/"); err == nil {
			s.Disk = du.UsedPercent
		}
		return s
	}
}

// busyPercent is the share of CPU time between two readings not spent idle.
func busyPercent(a, b cpu.TimesStat) float64 {
	total := func(t cpu.TimesStat) float64 {
		return t.User + t.System + t.Idle + t.Nice + t.Iowait + t.Irq + t.Softirq + t.Steal
	}
	dt := total(b) - total(a)
	if dt <= 0 {
		return -1
	}
	idle := (b.Idle + b.Iowait) - (a.Idle + a.Iowait)
	return 100 * (dt - idle) / dt
}
