// Package app is the panel put together: it builds every service once
// from the typed config, the database and the node's role (New), runs
// the loops, the jobs and the local Xray, serves them through package web,
// and shuts all of it down in order.
package app

import (
	"context"
	"errors"
	"fmt"
	"log"
	"path/filepath"
	"time"

	"github.com/mhsanaei/3x-ui/v2/app/job"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/sub"
	"github.com/mhsanaei/3x-ui/v2/util/lifecycle"
	"github.com/mhsanaei/3x-ui/v2/web"
	"github.com/mhsanaei/3x-ui/v2/web/ui"
)

// Server runs an App: its loops, Xray and the panel's HTTP server
// (web.Server), started and stopped in order.
type Server struct {
	cfg config.PanelConfig
	app *App

	ctx    context.Context // the HTTP servers and the loop group end with it
	cancel context.CancelFunc
	loops  *lifecycle.Group // every background loop and job (see Start)
	node   *nodeRuntime     // traffic pipeline and, in shared mode, sync
	sub    *sub.Server
	// opts build the App at Start (see NewServer).
	opts Options
	// Knobs are test hooks; production leaves them empty.
	Knobs Knobs

	// http serves the panel's handler; a panel restart serves it again.
	http *web.Server
}

// Knobs let tests observe the start-up order.
type Knobs struct {
	// BeforeServe runs after Xray and the loops started, just before the
	// bound listener starts answering HTTP.
	BeforeServe func()
	// LoopExited runs as each background loop ends for good, before Stop
	// (or StopLeavingXray) can return.
	LoopExited func(name string)
}

// Loops are the names of the background loops Start started, in start
// order (empty after Stop).
func (s *Server) Loops() []string {
	if s.loops == nil {
		return nil
	}
	return s.loops.Names()
}

// NewServer prepares the panel for cfg: Start builds its App with opts
// (DB and Node required, as New says), serving the built web UI over TLS
// when cfg has a certificate, with Xray outliving the panel.
func NewServer(cfg config.PanelConfig, opts Options) *Server {
	return &Server{cfg: cfg, opts: opts, http: web.NewServer(cfg)}
}

// App exposes the wired services (nil before Start).
func (s *Server) App() *App { return s.app }

// Start runs the start-up order: the services on the open database (or,
// on a worker, the cached snapshot), Xray, the loops, and only then HTTP,
// so no request is answered before Xray runs what this node should serve.
// The port is bound first, so a taken port fails before anything starts.
// ctx ending stops the jobs; call Stop for the full ordered shutdown.
func (s *Server) Start(ctx context.Context) error {
	tlsCfg, err := web.LoadTLS(s.cfg)
	if err != nil {
		log.Printf("panel TLS disabled: %v", err)
	}
	opts := s.opts
	opts.Secure, opts.UI, opts.DetachXray = tlsCfg != nil, ui.App(), true
	if opts.MetricsCache == "" {
		opts.MetricsCache = filepath.Join(config.GetDBFolderPath(), "metrics-settings.json")
	}
	app, err := New(s.cfg, opts)
	if err != nil {
		return err
	}
	app.restart = s.restartHTTP
	s.app = app
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.loops = lifecycle.New(s.ctx, lifecycle.Hooks{Exited: s.Knobs.LoopExited})
	// Bind first: a taken port fails before Xray or any job starts.
	ln, err := web.Listen(app.Cfg, tlsCfg)
	if err != nil {
		s.cancel()
		return err
	}
	deps := job.Deps{Xray: app.Xray, Inbounds: app.Inbounds, IPLimit: app.IPLimit, Events: app.notify.events}
	node := app.Node.Config()
	worker := node.Role == config.NodeRoleWorker
	// Every mode runs the same traffic pipeline (journal, then ledger);
	// shared mode adds the sync and the master lease on top.
	shared := app.Node.Shared()
	rt, err := startNode(s.loops, app, node, shared)
	if err != nil {
		s.cancel()
		ln.Close()
		return err
	}
	s.node = rt
	startNotify(s.loops, app)
	// Collect as often as the journal is flushed.
	deps.TrafficInterval = time.Duration(node.TrafficFlushSeconds) * time.Second
	// A worker's Xray starts from its cached snapshot inside the sync loop,
	// never from the database.
	if !worker {
		if err := app.Xray.StartOrAdopt(); err != nil {
			// The panel stays up so the admin can fix the config; the
			// health job keeps retrying.
			log.Printf("xray failed to start: %v", err)
		}
	}
	if !worker {
		deps.PeriodicReset = &job.PeriodicTrafficResetJob{Inbounds: app.Inbounds, Settings: app.Settings}
		deps.AuditPrune = &job.AuditPruneJob{Log: app.Audit, Settings: app.Settings}
	}
	var sharedRT *nodeRuntime // the node list and snapshot matter in shared mode only
	if shared {
		sharedRT = s.node
	}
	s.sub = startSubscriptions(s.ctx, s.loops, app, node, sharedRT)
	for _, l := range job.Loops(deps) {
		s.loops.Go(l.Name, l.Run)
	}
	if app.Telegram != nil {
		s.loops.Go("telegram bot", app.Telegram.Run)
	}
	s.loops.Go("metrics", app.metrics.srv.Run)
	if s.Knobs.BeforeServe != nil {
		s.Knobs.BeforeServe()
	}
	if err := s.http.ServeOn(ln, app.Cfg, tlsCfg != nil, app.Handler()); err != nil {
		s.loops.Stop()
		s.cancel()
		return err
	}
	return nil
}

// SubscriptionAddr is the subscription server's bound address ("" when off).
func (s *Server) SubscriptionAddr() string {
	if s.sub == nil {
		return ""
	}
	return s.sub.Addr()
}

// restartHTTP serves again with the stored panel section, as the last
// settings save left it (new port, base path, TLS or session settings). Xray and the jobs keep running. It runs after
// the response that asked for it has been written.
func (s *Server) restartHTTP() {
	go func() {
		time.Sleep(500 * time.Millisecond)
		if err := s.http.Shutdown(); err != nil {
			log.Printf("panel restart: shutdown: %v", err)
		}
		old := s.app.Cfg
		cfg := s.app.Settings.Panel()
		tlsCfg, err := web.LoadTLS(cfg)
		if err != nil {
			log.Printf("panel TLS disabled: %v", err)
		}
		if err := s.app.Reconfigure(cfg, tlsCfg != nil); err != nil {
			log.Printf("panel restart: %v; keeping the old settings", err)
			cfg = old
		}
		if err := s.http.Serve(cfg, tlsCfg, s.app.Handler()); err != nil {
			log.Printf("panel restart: %v; back to the previous settings", err)
			oldTLS, _ := web.LoadTLS(old)
			if rerr := s.app.Reconfigure(old, oldTLS != nil); rerr == nil {
				err = s.http.Serve(old, oldTLS, s.app.Handler())
			}
			if err != nil {
				log.Printf("panel restart failed: %v", err)
				return
			}
		}
		log.Printf("Panel restarted, %s", s.Describe())
	}()
}

// Stop shuts down in order: HTTP (draining in-flight requests), every
// loop (in reverse start order, waiting for each), Xray's counters into the
// journal and the database, Xray itself, and last the master lease. The
// caller closes the database after Stop returns.
func (s *Server) Stop() error {
	errs := s.stopServingAndLoops()
	if s.app != nil {
		if s.app.Xray.IsXrayRunning() {
			if err := s.app.Xray.DrainTraffic(); err != nil {
				errs = append(errs, fmt.Errorf("drain traffic: %w", err))
			}
		}
		if err := s.app.Xray.StopXray(); err != nil {
			errs = append(errs, fmt.Errorf("stop xray: %w", err))
		}
	}
	if s.node != nil {
		s.node.finish()
	}
	return errors.Join(errs...)
}

// stopServingAndLoops ends HTTP, the subscription server and every loop;
// when it returns no loop runs any more.
func (s *Server) stopServingAndLoops() []error {
	errs := []error{s.http.Close()}
	if s.sub != nil {
		s.sub.Stop()
	}
	if s.loops != nil {
		s.loops.Stop()
	}
	if s.cancel != nil {
		s.cancel()
	}
	return errs
}

// URL is the panel address as a browser would open it.
func (s *Server) URL() string { return s.http.URL() }

// Describe is the start-up log line: the real bind address and the URL.
func (s *Server) Describe() string { return s.http.Describe() }
