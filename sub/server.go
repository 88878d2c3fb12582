package sub

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/util/atomicfile"
	"github.com/mhsanaei/3x-ui/v2/util/loop"
)

// Rate limit per client IP: a burst, then a steady rate per minute.
const (
	rateBurst     = 30
	ratePerMinute = 30
)

// ServerOptions wire a subscription server.
type ServerOptions struct {
	Source Source
	// LoadSettings returns every setting (settings.Store.GetAllSettings).
	LoadSettings func() (map[string]any, error)
	// DefaultListen is used when subListen is empty (the panel's listen
	// address, so a loopback-only panel keeps its subscriptions local too).
	DefaultListen string
	// CachePath, when set, keeps the last settings read (a worker starting
	// while the database is away serves with them instead of defaults).
	CachePath string
	// ReloadEvery re-reads the settings (a worker learns of changes this
	// way); 0 means 30 s.
	ReloadEvery time.Duration
}

// Server runs the subscription listener and restarts it when its settings
// change. A failing bind is logged and retried at the next reload: the
// panel and Xray never depend on it.
type Server struct {
	opts    ServerOptions
	limiter *RateLimiter

	mu      sync.Mutex
	set     Settings
	started bool
	closed  bool
	srv     *http.Server
	ln      net.Listener
	done    chan struct{}
}

// NewServer prepares a server; Start runs it.
func NewServer(opts ServerOptions) *Server {
	if opts.ReloadEvery <= 0 {
		opts.ReloadEvery = 30 * time.Second
	}
	return &Server{opts: opts, limiter: NewRateLimiter(rateBurst, ratePerMinute)}
}

// Start applies the current settings and keeps reloading until ctx ends.
func (s *Server) Start(ctx context.Context) {
	s.Reload()
	go loop.Every(ctx, s.opts.ReloadEvery, s.Reload)
}

// Reload re-reads the settings and restarts the listener if they changed.
// With the settings unreadable (database away) the server keeps running
// as it is, or starts with the defaults if it never read them.
func (s *Server) Reload() {
	all, err := s.opts.LoadSettings()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if err != nil {
		if s.started {
			return
		}
		if cached, cerr := s.readCache(); cerr == nil {
			log.Printf("subscription: settings unreadable (%v); starting with the cached ones", err)
			all = cached
		} else {
			log.Printf("subscription: settings unreadable (%v); starting with defaults", err)
			all = nil
		}
	} else {
		s.writeCache(all)
	}
	set := SettingsFrom(all)
	if set.Listen == "" {
		set.Listen = s.opts.DefaultListen
	}
	if s.started && reflect.DeepEqual(set, s.set) && (s.srv != nil) == set.Enable {
		return
	}
	s.stopLocked()
	s.set, s.started = set, true
	if !set.Enable {
		return
	}
	if err := s.listenLocked(set); err != nil {
		log.Printf("subscription server: %v", err)
	}
}

func (s *Server) listenLocked(set Settings) error {
	addr := net.JoinHostPort(set.Listen, strconv.Itoa(set.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if set.CertFile != "" && set.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(set.CertFile, set.KeyFile)
		if err != nil {
			log.Printf("subscription TLS disabled: subCertFile/subKeyFile: %v", err)
		} else {
			ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		}
	}
	// Subscriptions are GETs without a body (the handler refuses one), so
	// a flat ReadTimeout costs no legitimate client anything.
	srv := &http.Server{
		Handler:           NewHandler(set, s.opts.Source, s.limiter),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       20 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("subscription server stopped: %v", err)
		}
	}()
	s.srv, s.ln, s.done = srv, ln, done
	log.Printf("subscription server on %s", ln.Addr())
	return nil
}

func (s *Server) stopLocked() {
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.done
	s.srv, s.ln, s.done = nil, nil, nil
}

// Stop closes the listener for good.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.stopLocked()
}

// Addr is the bound address ("" when not listening).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// cacheKeys are the settings the subscription server reads.
func cacheKeys() []string {
	keys := []string{"remarkModel"}
	for _, d := range Defs {
		keys = append(keys, d.Key)
	}
	return keys
}

func (s *Server) writeCache(all map[string]any) {
	if s.opts.CachePath == "" {
		return
	}
	keep := map[string]any{}
	for _, k := range cacheKeys() {
		if v, ok := all[k]; ok {
			keep[k] = v
		}
	}
	data, err := json.Marshal(keep)
	if err != nil {
		return
	}
	if old, err := os.ReadFile(s.opts.CachePath); err == nil && string(old) == string(data) {
		return
	}
	if err := atomicfile.Write(s.opts.CachePath, data, 0o600); err != nil {
		log.Printf("subscription: cache settings: %v", err)
	}
}

func (s *Server) readCache() (map[string]any, error) {
	if s.opts.CachePath == "" {
		return nil, errors.New("no cache")
	}
	data, err := os.ReadFile(s.opts.CachePath)
	if err != nil {
		return nil, err
	}
	var all map[string]any
	err = json.Unmarshal(data, &all)
	return all, err
}
