package app

import (
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database/sharedwrite"
	"github.com/mhsanaei/3x-ui/v2/metrics"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// metricsParts are the node's Prometheus metrics (package metrics): the
// registry and instruments, and the server that keeps their settings and
// runs their own listener. Start runs the server's loop.
type metricsParts struct {
	m   *metrics.Metrics
	srv *metrics.Server
}

// buildMetrics makes the metrics first in New, so the parts built after
// it are handed its instruments; what it reads at scrape time (Xray, the
// journal, the sync) is reached through a when a scrape comes.
func (a *App) buildMetrics(cachePath string) {
	node := a.Node
	src := metrics.Sources{
		Xray:          appXray{a},
		CrashRestarts: func() int { return a.Xray.Process().Restarts() },
		Journal:       appJournal{a},
		DB:            a.DB,
		Totals:        node.IsMaster(),
	}
	if node.IsWorker() {
		src.AppliedVersion = func() int64 { return a.sync.LastSeenVersion() }
		src.Syncs = func() (int64, int64) { return a.sync.SyncCounts() }
	}
	// A shared master applies each version as it commits it: its applied
	// version is the cluster's, exported with the cluster view.
	if node.Shared() && node.IsMaster() {
		src.Cluster = func() (*cluster.NodesOverview, error) { return node.ListNodes() }
		src.Pushes = func() (int64, int64) {
			if a.pusher == nil {
				return 0, 0
			}
			return a.pusher.Sent.Load(), a.pusher.Failed.Load()
		}
	}
	var srv *metrics.Server
	m := metrics.New(metrics.Options{Sources: src, ClientSeries: func() bool { return srv.Settings().ClientSeries }})
	srv = metrics.NewServer(metrics.ServerOptions{
		Load:       func() (settings.Metrics, error) { return a.Settings.Metrics() },
		Exposition: m.Exposition(),
		CachePath:  cachePath,
	})
	a.metrics = metricsParts{m: m, srv: srv}
	m.WatchDB(a.DB)
}

// trafficSink journals a drain and, once the journal has it, counts it.
func (a *App) trafficSink(inbounds []*xray.Traffic, clients []*xray.ClientTraffic) error {
	if err := a.flush.CollectAll(inbounds, clients); err != nil {
		return err
	}
	a.metrics.m.ObserveTraffic(inbounds, clients)
	return nil
}

// timedSteps times each fan-out step into the metrics.
func (a *App) timedSteps(steps []sharedwrite.Step) []sharedwrite.Step {
	out := make([]sharedwrite.Step, len(steps))
	for i, st := range steps {
		out[i] = st
		if st.Run == nil {
			continue
		}
		run, name := st.Run, st.Name
		out[i].Run = func(ch sharedwrite.Change) error {
			done := a.metrics.m.StartStep(name, ch.Post)
			defer done()
			return run(ch)
		}
	}
	return out
}

// metricsChanged re-reads the metrics settings after a settings write, in
// the background (the reload may rebind the listener).
func (a *App) metricsChanged(ch sharedwrite.Change) error {
	if ch.Settings {
		go a.metrics.srv.Reload()
	}
	return nil
}

type appXray struct{ a *App }

func (x appXray) GetXrayState() (string, string) { return x.a.Xray.GetXrayState() }
func (x appXray) Restarts() int64                { return x.a.Xray.Restarts() }
func (x appXray) GetOnlineClients() []string     { return x.a.Xray.GetOnlineClients() }

type appJournal struct{ a *App }

func (j appJournal) Stats() (int, bool, int64) { return j.a.journal.Stats() }
func (j appJournal) PendingBytes() int64       { return j.a.journal.PendingBytes() }
