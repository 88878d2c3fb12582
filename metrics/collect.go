package metrics

import (
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/prometheus/client_golang/prometheus"
)

// Xray is what the collector reads from the node's Xray runner.
type Xray interface {
	GetXrayState() (string, string)
	Restarts() int64
	GetOnlineClients() []string
}

// Journal is what the collector reads from the traffic journal.
type Journal interface {
	Stats() (pending int, inflight bool, dropped int64)
	PendingBytes() int64
}

// Sources are read at scrape time; a nil one is left out (a worker has
// no cluster view and no database totals of its own to export).
type Sources struct {
	Xray Xray
	// CrashRestarts is the supervisor's restarts of a crashed Xray.
	CrashRestarts func() int
	Journal       Journal
	// AppliedVersion is the shared version this worker's Xray runs (a
	// master's is the cluster's, exported with Cluster).
	AppliedVersion func() int64
	// Syncs are a worker's syncs since start that read the whole snapshot
	// and those that read only the change log since its version.
	Syncs func() (full, delta int64)
	// Pushes are the master's wake-ups answered 2xx and not.
	Pushes func() (sent, failed int64)
	// DB is the node's database: whether it is up, its error counter
	// and (with Totals) the traffic totals the API shows.
	DB *database.Handle
	// Totals reads the cluster-wide traffic totals from the database (a
	// master or single node; nil on a worker, whose database account and
	// reachability are not the cluster's).
	Totals bool
	// Cluster is the master's node list (nil elsewhere).
	Cluster func() (*cluster.NodesOverview, error)
}

// scrapeCollector turns Sources into metrics at each scrape. Database
// reads go through dbCache, so scrapes in a burst cost one query each.
type scrapeCollector struct {
	src          Sources
	traffic      *nodeTraffic
	clientSeries func() bool
	cache        *dbCache
	db           *dbWatch
	descs        descs
	versions     *versionTimes
}

// descs are the scrape-time metrics, built once: name -> help, labels.
type descs map[string]*prometheus.Desc

func newDescs() descs {
	d := descs{}
	add := func(name, help string, labels ...string) {
		d[name] = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
	}
	add("xray_up", "1 while this node's Xray runs.")
	add("xray_state", "This node's Xray state (1 for the current one).", "state")
	add("xray_restarts_total", "Xray restarts since the panel started: applied (a config change that needed one) and crash (the supervisor's).", "reason")
	add("online_clients", "Clients this node's Xray saw online at the last refresh (what panel/api/inbounds/onlines lists).")
	add("journal_pending_deltas", "Traffic deltas journaled and not yet flushed.")
	add("journal_inflight_batches", "1 while a flushed batch awaits its commit (or its resend after a failure).")
	add("journal_pending_bytes", "Bytes of traffic journaled and not yet flushed.")
	add("journal_dropped_deltas_total", "Deltas dropped because their client or inbound no longer exists.")
	add("applied_version", "The shared version this node's Xray runs.")
	add("syncs_total", "A worker's syncs since the panel started, by kind: full (the whole snapshot) or delta (the change log since its version).", "kind")
	add("pushes_total", "Master wake-ups of workers after changes, by result.", "result")
	add("db_up", "1 while this node has an open database connection.")
	add("scrape_db_errors", "1 when this scrape's database read failed (its series are left out).")
	addTrafficDescs(add)
	addClusterDescs(add)
	return d
}

// desc is the named scrape-time metric (a missing name is a bug: panic).
func (d descs) get(name string) *prometheus.Desc {
	if x, ok := d[name]; ok {
		return x
	}
	panic("metrics: no desc " + name)
}

// The collector is unchecked (Describe sends nothing): which series exist
// depends on the role and the settings, and every name is unique anyway.
func (c *scrapeCollector) Describe(chan<- *prometheus.Desc) {}

func (c *scrapeCollector) Collect(ch chan<- prometheus.Metric) {
	perClient := c.clientSeries()
	c.collectXray(ch)
	c.collectJournal(ch)
	c.collectSync(ch)
	c.traffic.collect(ch, c.descs, perClient)
	if c.src.DB != nil {
		c.db.instrument(c.src.DB)
		c.gauge(ch, "db_up", boolValue(c.src.DB.Current() != nil))
	}
	c.collectDB(ch, perClient)
}

func (c *scrapeCollector) gauge(ch chan<- prometheus.Metric, name string, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(c.descs.get(name), prometheus.GaugeValue, v, labels...)
}

func (c *scrapeCollector) counter(ch chan<- prometheus.Metric, name string, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(c.descs.get(name), prometheus.CounterValue, v, labels...)
}

// collectXray reads the runner's state, restarts and online list, all
// held in memory (nothing asks Xray at scrape time).
func (c *scrapeCollector) collectXray(ch chan<- prometheus.Metric) {
	x := c.src.Xray
	if x == nil {
		return
	}
	state, _ := x.GetXrayState()
	c.gauge(ch, "xray_up", boolValue(state == "running"))
	for _, s := range []string{"running", "stop", "error"} {
		c.gauge(ch, "xray_state", boolValue(s == state), s)
	}
	c.counter(ch, "xray_restarts_total", float64(x.Restarts()), "applied")
	if c.src.CrashRestarts != nil {
		c.counter(ch, "xray_restarts_total", float64(c.src.CrashRestarts()), "crash")
	}
	c.gauge(ch, "online_clients", float64(len(x.GetOnlineClients())))
}

func (c *scrapeCollector) collectJournal(ch chan<- prometheus.Metric) {
	j := c.src.Journal
	if j == nil {
		return
	}
	pending, inflight, dropped := j.Stats()
	c.gauge(ch, "journal_pending_deltas", float64(pending))
	c.gauge(ch, "journal_inflight_batches", boolValue(inflight))
	c.gauge(ch, "journal_pending_bytes", float64(j.PendingBytes()))
	c.counter(ch, "journal_dropped_deltas_total", float64(dropped))
}

// collectSync is the version a worker applied, its syncs and a master's
// pushes.
func (c *scrapeCollector) collectSync(ch chan<- prometheus.Metric) {
	if c.src.AppliedVersion != nil {
		c.gauge(ch, "applied_version", float64(c.src.AppliedVersion()))
	}
	if c.src.Syncs != nil {
		full, delta := c.src.Syncs()
		c.counter(ch, "syncs_total", float64(full), "full")
		c.counter(ch, "syncs_total", float64(delta), "delta")
	}
	if c.src.Pushes != nil {
		sent, failed := c.src.Pushes()
		c.counter(ch, "pushes_total", float64(sent), "ok")
		c.counter(ch, "pushes_total", float64(failed), "failed")
	}
}

// collectDB exports the cached database views: the traffic totals and
// the master's cluster view.
func (c *scrapeCollector) collectDB(ch chan<- prometheus.Metric, perClient bool) {
	snap := c.cache.get(perClient, func() dbSnapshot { return c.readDB(perClient) })
	if snap.totals != nil {
		exportTotals(ch, c.descs, snap.totals)
	}
	if snap.cluster != nil {
		exportCluster(ch, c.descs, snap.cluster, c.versions, snap.at)
	}
	if snap.err != "" {
		c.gauge(ch, "scrape_db_errors", 1)
	}
}

func (c *scrapeCollector) readDB(perClient bool) dbSnapshot {
	snap := dbSnapshot{at: time.Now(), perClient: perClient}
	if c.src.Totals && c.src.DB != nil {
		t, err := readTotals(c.src.DB, perClient)
		if err != nil {
			snap.err = err.Error()
		} else {
			snap.totals = t
		}
	}
	if c.src.Cluster != nil {
		ov, err := c.src.Cluster()
		if err != nil {
			snap.err = err.Error()
		} else {
			snap.cluster = ov
		}
	}
	return snap
}

// dbSnapshot is one read of the database views.
type dbSnapshot struct {
	at      time.Time
	totals  *totals
	cluster *cluster.NodesOverview
	err     string
	// perClient is the setting the read was made with: a change reads
	// again rather than serve the other shape.
	perClient bool
}

// dbCache keeps the last dbSnapshot for `every`; concurrent scrapes wait
// for the one read in progress instead of starting their own.
type dbCache struct {
	every time.Duration
	mu    sync.Mutex
	last  *dbSnapshot
}

func (d *dbCache) get(perClient bool, read func() dbSnapshot) dbSnapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last != nil && d.last.perClient == perClient && time.Since(d.last.at) < d.every {
		return *d.last
	}
	s := read()
	d.last = &s
	return s
}
