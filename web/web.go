// Package web runs the panel's HTTP server.
package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/config"
)

// Server is the panel HTTP server.
type Server struct {
	cfg      config.PanelConfig
	http     *http.Server
	listener net.Listener
	done     chan struct{}
}

// NewServer prepares a server for the given panel configuration.
func NewServer(cfg config.PanelConfig) *Server {
	return &Server{cfg: cfg}
}

func (s *Server) router() http.Handler {
	if !config.IsDebug() {
		gin.SetMode(gin.ReleaseMode)
	}
	engine := gin.New()
	engine.Use(gin.Recovery())
	base := engine.Group(s.cfg.BasePath)
	base.GET("health", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"success": true, "msg": "", "obj": gin.H{"version": config.GetVersion()}})
	})
	return engine
}

// Start binds the listen address and serves in the background.
func (s *Server) Start(ctx context.Context) error {
	addr := net.JoinHostPort(s.cfg.Listen, strconv.Itoa(s.cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.listener = ln
	s.http = &http.Server{Handler: s.router(), ReadHeaderTimeout: 10 * time.Second}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("panel server stopped:", err)
		}
	}()
	return nil
}

// URL is the panel address as a browser would open it.
func (s *Server) URL() string {
	host := s.cfg.Listen
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	port := s.cfg.Port
	if s.listener != nil {
		port = s.listener.Addr().(*net.TCPAddr).Port
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + s.cfg.BasePath
}

// Stop shuts the server down gracefully.
func (s *Server) Stop() error {
	if s.http == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	<-s.done
	return err
}
