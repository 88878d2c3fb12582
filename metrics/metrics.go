// Package metrics is a node's Prometheus metrics: one registry per app
// (never the client library's global one), instruments the app's parts
// report into (HTTP, traffic flush, push, change fan-out, database
// errors, traffic drained from Xray), collectors that read the rest at
// scrape time (Xray, journal, versions, the master's cluster view), and
// the guarded handler that serves them (docs/metrics.md).
package metrics

import (
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric of the panel (x-ui -> xui).
const namespace = "xui"

// Latency buckets: 1 ms to 10 s covers a local API call up to a flush or
// push against a distant database; Prometheus' defaults stop at 10 s too.
func latencyBuckets() []float64 {
	return []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
}

// Metrics holds the registry and the instruments the app reports into.
type Metrics struct {
	reg *prometheus.Registry

	httpDuration *prometheus.HistogramVec
	flushSeconds prometheus.Histogram
	flushErrors  prometheus.Counter
	pushSeconds  prometheus.Histogram
	syncSeconds  prometheus.Histogram
	syncErrors   prometheus.Counter
	fanout       *prometheus.HistogramVec
	dbErrors     *prometheus.CounterVec

	traffic  *nodeTraffic
	db       *dbWatch
	versions *versionTimes
}

// Options are what the scrape-time collectors read (see Sources).
type Options struct {
	Sources Sources
	// ClientSeries says, at scrape time, whether per-client series are
	// exported (the metricsClientSeries setting).
	ClientSeries func() bool
	// CacheFor bounds how often a scrape may query the database for the
	// traffic totals and the cluster view (default 5 s).
	CacheFor time.Duration
}

// New builds the registry with the Go runtime and process collectors,
// the instruments and the scrape-time collector over opts.Sources.
func New(opts Options) *Metrics {
	if opts.CacheFor <= 0 {
		opts.CacheFor = 5 * time.Second
	}
	if opts.ClientSeries == nil {
		opts.ClientSeries = func() bool { return true }
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Panel HTTP requests by route pattern, method and status code.",
			Buckets: latencyBuckets(),
		}, []string{"route", "method", "code"}),
		flushSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "traffic_flush_duration_seconds",
			Help:    "Traffic journal flushes that sent a batch or failed, by duration.",
			Buckets: latencyBuckets(),
		}),
		flushErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "traffic_flush_failures_total",
			Help: "Traffic journal flushes that failed (the batch stays in the journal and is sent again).",
		}),
		pushSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "push_round_duration_seconds",
			Help:    "Master push rounds (wake-up of every live worker after a change), by duration.",
			Buckets: latencyBuckets(),
		}),
		syncSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "sync_duration_seconds",
			Help:    "Worker syncs that found a new version: loading it (change log or snapshot) and applying it to Xray.",
			Buckets: latencyBuckets(),
		}),
		syncErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "sync_failures_total",
			Help: "Worker syncs that found a new version and failed to load or apply it (the last good config keeps running).",
		}),
		fanout: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "change_step_duration_seconds",
			Help:    "Steps run after each committed shared write (Xray apply, push kick, ...), by duration.",
			Buckets: latencyBuckets(),
		}, []string{"step"}),
		dbErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "db_errors_total",
			Help: "Database statements that failed (not-found excluded), by operation.",
		}, []string{"op"}),
		traffic:  newNodeTraffic(),
		versions: newVersionTimes(),
	}
	m.db = &dbWatch{errors: m.dbErrors}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpDuration, m.flushSeconds, m.flushErrors, m.pushSeconds, m.syncSeconds, m.syncErrors, m.fanout, m.dbErrors,
		&scrapeCollector{src: opts.Sources, traffic: m.traffic, clientSeries: opts.ClientSeries,
			cache: &dbCache{every: opts.CacheFor}, db: m.db, versions: m.versions, descs: newDescs()},
	)
	return m
}

// Registry is the app's registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Exposition serves the registry in Prometheus' text format, unguarded:
// Guard puts the access rules in front of it.
func (m *Metrics) Exposition() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		// A scrape is cheap, but a flood of them must not become a flood
		// of database reads; extra concurrent scrapes get 503.
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
}

// ObserveHTTP records one panel request; route is gin's pattern ("" for
// no route, reported as "unmatched" so paths never become labels).
func (m *Metrics) ObserveHTTP(route, method string, code int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "other" // any token is a method; labels stay bounded
	}
	m.httpDuration.WithLabelValues(route, method, statusLabel(code)).Observe(took.Seconds())
}

// ObserveFlush records one flush that had a batch to send or failed.
func (m *Metrics) ObserveFlush(took time.Duration, err error) {
	m.flushSeconds.Observe(took.Seconds())
	if err != nil {
		m.flushErrors.Inc()
	}
}

// ObserveSync records one worker sync that found a new version.
func (m *Metrics) ObserveSync(took time.Duration, err error) {
	m.syncSeconds.Observe(took.Seconds())
	if err != nil {
		m.syncErrors.Inc()
	}
}

// ObservePush records one push round.
func (m *Metrics) ObservePush(took time.Duration) { m.pushSeconds.Observe(took.Seconds()) }

// StartStep times one fan-out step after a shared write; call the
// returned func when it is done. version is the shared version the write
// committed (0 when unknown): its first step's start is the commit time
// the cluster view's lag in seconds counts from.
func (m *Metrics) StartStep(step string, version int64) (done func()) {
	start := time.Now()
	if version > 0 {
		m.versions.note(version, start)
	}
	return func() { m.fanout.WithLabelValues(step).Observe(time.Since(start).Seconds()) }
}

// statusLabel keeps the code label to the few values a panel answers.
func statusLabel(code int) string {
	switch {
	case code >= 100 && code < 600:
		return strconv.Itoa(code/100) + "xx"
	default:
		return "other"
	}
}

// versionTimes remembers when the master committed recent shared
// versions, bounded, for the cluster view's lag in seconds.
type versionTimes struct {
	mu    sync.Mutex
	order []int64
	at    map[int64]time.Time
}

// maxVersionTimes bounds the memory: a node further behind than this
// many versions reports the oldest time known.
const maxVersionTimes = 4096

func newVersionTimes() *versionTimes { return &versionTimes{at: map[int64]time.Time{}} }

func (v *versionTimes) note(version int64, at time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.at[version]; ok {
		return
	}
	v.at[version] = at
	v.order = append(v.order, version)
	if len(v.order) > maxVersionTimes {
		delete(v.at, v.order[0])
		v.order = v.order[1:]
	}
}

// firstAfter is when the oldest known version above applied committed.
func (v *versionTimes) firstAfter(applied int64) (time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var best time.Time
	found := false
	for ver, at := range v.at {
		if ver > applied && (!found || at.Before(best)) {
			best, found = at, true
		}
	}
	return best, found
}

// Names are the metric names this package exposes as series appear in
// an exposition (a histogram as its _bucket, _sum and _count), without
// the Go runtime's and the process's: the dashboard test and
// docs/metrics.md are checked against them.
func Names() []string {
	var out []string
	for name := range newDescs() {
		out = append(out, namespace+"_"+name)
	}
	for _, h := range []string{"http_request_duration_seconds", "traffic_flush_duration_seconds",
		"push_round_duration_seconds", "sync_duration_seconds", "change_step_duration_seconds"} {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			out = append(out, namespace+"_"+h+suffix)
		}
	}
	out = append(out, namespace+"_traffic_flush_failures_total", namespace+"_sync_failures_total", namespace+"_db_errors_total")
	sort.Strings(out)
	return out
}
