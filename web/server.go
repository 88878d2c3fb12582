// Package web is the panel's HTTP layer: the handler (routes, middleware,
// sessions, pages) and the server that binds, serves, restarts and drains
// it. It serves what the app hands it and imports nothing of the app.
package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
)

// shutdownTimeout bounds how long in-flight requests may take to finish.
const shutdownTimeout = 10 * time.Second

// Server serves the panel's handler on one listener at a time; a panel
// restart shuts it down and serves again.
type Server struct {
	mu       sync.Mutex
	closed   bool // Close was called: a pending restart must not serve again
	cfg      config.PanelConfig
	http     *http.Server
	listener net.Listener
	tls      bool
	done     chan struct{}
}

// NewServer is a server for cfg, not yet serving.
func NewServer(cfg config.PanelConfig) *Server {
	return &Server{cfg: cfg}
}

// Listen binds cfg's address (TLS when tlsCfg is set) without serving.
func Listen(cfg config.PanelConfig, tlsCfg *tls.Config) (net.Listener, error) {
	addr := net.JoinHostPort(cfg.Listen, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	return ln, nil
}

// Serve binds cfg's address and serves h in the background.
func (s *Server) Serve(cfg config.PanelConfig, tlsCfg *tls.Config, h http.Handler) error {
	ln, err := Listen(cfg, tlsCfg)
	if err != nil {
		return err
	}
	return s.ServeOn(ln, cfg, tlsCfg != nil, h)
}

// ServeOn serves h on ln in the background.
func (s *Server) ServeOn(ln net.Listener, cfg config.PanelConfig, useTLS bool, h http.Handler) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		ln.Close()
		return errors.New("server is stopped")
	}
	srv := NewHTTPServer(h)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("panel server stopped: %v", err)
		}
	}()
	s.mu.Lock()
	if s.closed {
		// Close ran while this listener was opening.
		s.mu.Unlock()
		srv.Close()
		<-done
		return errors.New("server is stopped")
	}
	s.cfg, s.http, s.listener, s.tls, s.done = cfg, srv, ln, useTLS, done
	s.mu.Unlock()
	return nil
}

// NewHTTPServer is an http.Server with the panel's connection limits.
// Headers must arrive within 10 s. There is no flat ReadTimeout: a backup
// restore may rightly take many minutes; the body's minimum rate
// (middleware.BodyRate, the first step of every request) bounds slow
// bodies instead.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// LoadTLS returns nil when no certificate is configured.
func LoadTLS(cfg config.PanelConfig) (*tls.Config, error) {
	if cfg.CertFile == "" || cfg.KeyFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load certFile/keyFile: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// URL is the panel address as a browser would open it.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	host := s.cfg.Listen
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	port := s.cfg.Port
	if s.listener != nil {
		port = s.listener.Addr().(*net.TCPAddr).Port
	}
	scheme := "http"
	if s.tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port)) + s.cfg.BasePath
}

// Shutdown stops accepting requests and waits for in-flight ones; a later
// Serve may serve again (a panel restart).
func (s *Server) Shutdown() error {
	s.mu.Lock()
	srv, done := s.http, s.done
	s.http = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	<-done
	return err
}

// Close is Shutdown for good: a restart still pending will not serve.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return s.Shutdown()
}
