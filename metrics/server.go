package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/util/atomicfile"
	"github.com/mhsanaei/3x-ui/v2/util/loop"
)

// DefaultReloadEvery is how often a node re-reads the metrics settings (a
// worker learns of a change this way; the master also reloads at once
// after a settings write).
const DefaultReloadEvery = 30 * time.Second

// Server keeps the metrics settings current and runs the own listener
// they ask for; the panel's route reads the same settings through
// Settings. Reading fails while the database is away: the last settings
// stay (a running listener keeps serving), and a node starting without
// its database uses the settings cached at the last read.
type Server struct {
	opts    ServerOptions
	handler http.Handler

	mu     sync.Mutex
	loaded bool // a read (or the cache) gave settings once
	cfg    settings.Metrics
	srv    *http.Server
	addr   string
	done   chan struct{}
}

// ServerOptions are what a Server serves and where its settings come from.
type ServerOptions struct {
	// Load reads the settings (the database's).
	Load func() (settings.Metrics, error)
	// Exposition is the unguarded metrics handler (Metrics.Exposition).
	Exposition http.Handler
	// ReloadEvery is Run's period (default DefaultReloadEvery).
	ReloadEvery time.Duration
	// CachePath keeps the last settings read (mode 0600: it holds the
	// token), so a worker starting while MariaDB is away serves its
	// metrics as before; "" keeps none.
	CachePath string
}

// NewServer serves opts.Exposition, guarded, with the settings opts.Load
// returns.
func NewServer(opts ServerOptions) *Server {
	if opts.ReloadEvery <= 0 {
		opts.ReloadEvery = DefaultReloadEvery
	}
	s := &Server{opts: opts}
	s.handler = Guard{Settings: s.Settings, Next: opts.Exposition}
	return s
}

// Settings are the metrics settings last read.
func (s *Server) Settings() settings.Metrics {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// PanelHandler is the panel route's handler ({webBasePath}metrics).
func (s *Server) PanelHandler(exposition http.Handler) http.Handler {
	return Guard{Settings: s.Settings, Next: exposition, Panel: true}
}

// Addr is the own listener's bound address ("" when none).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Run reloads every interval until ctx ends, then closes the listener.
func (s *Server) Run(ctx context.Context) error {
	s.Reload()
	loop.Every(ctx, s.opts.ReloadEvery, s.Reload)
	s.mu.Lock()
	s.stopLocked()
	s.mu.Unlock()
	return nil
}

// Reload re-reads the settings and (re)binds the own listener when its
// address, port or path changed.
func (s *Server) Reload() {
	cfg, err := s.opts.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err == nil:
		s.writeCache(cfg)
	case s.loaded:
		return // keep what runs
	default:
		if cfg, err = s.readCache(); err != nil {
			return
		}
	}
	s.loaded = true
	old := s.cfg
	s.cfg = cfg
	want := cfg.Enable && cfg.Port != 0
	same := s.srv != nil && old.Listen == cfg.Listen && old.Port == cfg.Port && old.Path == cfg.Path
	if want && same {
		return
	}
	s.stopLocked()
	if !want {
		return
	}
	addr := net.JoinHostPort(cfg.Listen, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Printf("metrics: listen on %s: %v (retrying at the next reload)", addr, err)
		s.cfg.Port = 0 // not bound: the next reload tries again
		return
	}
	mux := http.NewServeMux()
	mux.Handle(cfg.Path, s.handler)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("metrics: server stopped: %v", err)
		}
	}()
	s.srv, s.addr, s.done = srv, ln.Addr().String(), done
	log.Printf("metrics: serving %s on %s", cfg.Path, s.addr)
}

func (s *Server) stopLocked() {
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.done
	s.srv, s.addr, s.done = nil, "", nil
}

func (s *Server) writeCache(cfg settings.Metrics) {
	if s.opts.CachePath == "" {
		return
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		return
	}
	if old, err := os.ReadFile(s.opts.CachePath); err == nil && bytes.Equal(old, data) {
		return
	}
	if err := atomicfile.Write(s.opts.CachePath, data, 0o600); err != nil {
		log.Printf("metrics: cache settings: %v", err)
	}
}

func (s *Server) readCache() (settings.Metrics, error) {
	var cfg settings.Metrics
	if s.opts.CachePath == "" {
		return cfg, os.ErrNotExist
	}
	data, err := os.ReadFile(s.opts.CachePath)
	if err != nil {
		return cfg, err
	}
	err = json.Unmarshal(data, &cfg)
	return cfg, err
}
