package main

import (
	"fmt"
	"log"
	"path/filepath"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// writePlots draws what the run measured and returns the file names
// written (relative to the docs folder), keyed by plot.
func writePlots(r run, dir string) map[string]string {
	out := map[string]string{}
	save := func(key, name string, p *plot.Plot) {
		if err := p.Save(7*vg.Inch, 4*vg.Inch, filepath.Join(dir, name)); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		out[key] = "img/" + name
	}
	if p := propagationPlot(r); p != nil {
		save("propagation", "cluster-propagation.png", p)
	}
	if r.scale != nil && len(r.scale.FlushMs) > 0 {
		save("flush", "cluster-flush.png", flushPlot(r.scale))
	}
	if len(r.sim) > 0 {
		save("dbload", "cluster-dbload.png", dbLoadPlot(r.sim))
	}
	return out
}

// cdf is the empirical distribution of samples (ms), for a line plot.
func cdf(samples []float64) plotter.XYs {
	s := append([]float64(nil), samples...)
	sort.Float64s(s)
	pts := make(plotter.XYs, len(s))
	for i, v := range s {
		// A push can beat the API answer home (0 ms); the log axis needs > 0.
		pts[i].X, pts[i].Y = max(v, 1), 100*float64(i+1)/float64(len(s))
	}
	return pts
}

func propagationPlot(r run) *plot.Plot {
	type series struct {
		name    string
		samples []float64
	}
	var all []series
	if r.suite != nil {
		all = append(all, series{fmt.Sprintf("%d workers, push (n=%d)", r.suite.Workers, r.suite.Pushed.N), r.suite.Pushed.Samples},
			series{fmt.Sprintf("%d workers, push blocked, sync %d s (n=%d)", r.suite.Workers, r.suite.SyncSeconds, r.suite.Blocked.N), r.suite.Blocked.Samples})
	}
	if r.scale != nil {
		all = append(all, series{fmt.Sprintf("%d workers at %d clients, push (n=%d)", r.scale.Workers, r.scale.Clients, r.scale.Pushed.N), r.scale.Pushed.Samples})
	}
	if n := len(r.sim); n > 0 {
		last := r.sim[n-1]
		all = append(all, series{fmt.Sprintf("%d simulated workers, push (n=%d)", last.Nodes, last.Propagation.N), last.Propagation.Samples})
	}
	p := plot.New()
	p.Title.Text = "Propagation: master API answer -> worker Xray answers (CDF)"
	p.X.Label.Text = "latency (ms)"
	p.Y.Label.Text = "% of (change, worker) pairs"
	var args []any
	for _, s := range all {
		if len(s.samples) == 0 {
			continue
		}
		args = append(args, s.name, cdf(s.samples))
	}
	if len(args) == 0 {
		return nil
	}
	if err := plotutil.AddLines(p, args...); err != nil {
		log.Fatal(err)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Y.Min, p.Y.Max = 0, 100
	// Push answers in milliseconds, a blocked push in seconds: log scale.
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.X.Label.Text = "latency (ms, log scale)"
	return p
}

func flushPlot(s *scaleResult) *plot.Plot {
	clients, ms := flushPoints(s)
	pts := make(plotter.XYs, len(clients))
	for i := range clients {
		pts[i].X, pts[i].Y = float64(clients[i]), ms[i]
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Flush of one batch (MariaDB, %d clients in the DB)", s.Clients)
	p.X.Label.Text = "client deltas in the batch"
	p.Y.Label.Text = "FlushOnce (ms)"
	if err := plotutil.AddLinePoints(p, "FlushOnce", pts); err != nil {
		log.Fatal(err)
	}
	p.Y.Min = 0
	return p
}

func dbLoadPlot(sim []simResult) *plot.Plot {
	idle := make(plotter.XYs, len(sim))
	traffic := make(plotter.XYs, len(sim))
	change := make(plotter.XYs, len(sim))
	for i, s := range sim {
		x := float64(s.Nodes)
		idle[i] = plotter.XY{X: x, Y: s.Idle.StatementsPerSec}
		traffic[i] = plotter.XY{X: x, Y: s.Traffic.StatementsPerSec}
		change[i] = plotter.XY{X: x, Y: s.StatementsPerChange}
	}
	p := plot.New()
	p.Title.Text = "MariaDB load vs simulated workers (sync 30 s, flush 10 s)"
	p.X.Label.Text = "workers"
	p.Y.Label.Text = "statements"
	if err := plotutil.AddLinePoints(p,
		"per second, idle", idle,
		fmt.Sprintf("per second, %d clients/node/flush", sim[0].TrafficClients), traffic,
		"per client change (above idle)", change); err != nil {
		log.Fatal(err)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Y.Min = 0
	return p
}
