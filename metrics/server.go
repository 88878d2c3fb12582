package metrics

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/util/loop"
)

// DefaultReloadEvery is how often a node re-reads the metrics settings (a
// worker learns of a change this way; the master also reloads at once
// after a settings write).
const DefaultReloadEvery = 30 * time.Second

// Server keeps the metrics settings current and runs the own listener
// they ask for; the panel's route reads the same settings through
// Settings. Reading fails while the database is away: the last settings
// stay (a running listener keeps serving), and until a first read
// succeeds metrics are off.
type Server struct {
	load    func() (settings.Metrics, error)
	handler http.Handler
	every   time.Duration

	mu   sync.Mutex
	cfg  settings.Metrics
	srv  *http.Server
	addr string
	done chan struct{}
}

// NewServer serves exposition (guarded) with the settings load returns.
func NewServer(load func() (settings.Metrics, error), exposition http.Handler, every time.Duration) *Server {
	if every <= 0 {
		every = DefaultReloadEvery
	}
	s := &Server{load: load, every: every}
	s.handler = Guard{Settings: s.Settings, Next: exposition}
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
	loop.Every(ctx, s.every, s.Reload)
	s.mu.Lock()
	s.stopLocked()
	s.mu.Unlock()
	return nil
}

// Reload re-reads the settings and (re)binds the own listener when its
// address, port or path changed.
func (s *Server) Reload() {
	cfg, err := s.load()
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
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
