package web

import (
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/mhsanaei/3x-ui/v2/cluster/nodepush"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/web/controller"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// Routes is what the panel's handler serves: the controller's parts (its
// BasePath is set from Panel), the panel section the server runs with,
// the slow-body bound and the worker's wake-up route.
type Routes struct {
	controller.Deps
	Panel    config.PanelConfig
	BodyRate middleware.BodyRate
	// Push serves the master's wake-up POST (a worker in shared mode; it
	// answers 404 elsewhere).
	Push http.Handler
	// Metrics serves GET {basePath}metrics (guarded by the metrics
	// settings; nil: no route) and Observe times every request by its
	// route pattern (nil: not timed). See package metrics.
	Metrics http.Handler
	Observe func(route, method string, code int, took time.Duration)
}

// Handler builds the gin engine for r.
func Handler(r Routes) http.Handler {
	if !config.IsDebug() && gin.Mode() != gin.ReleaseMode {
		gin.SetMode(gin.ReleaseMode) // process-wide: set once, not per handler
	}
	basePath := config.NormalizeBasePath(r.Panel.BasePath)

	engine := gin.New()
	// Rate limits key on the peer address; X-Forwarded-For is not trusted.
	engine.SetTrustedProxies(nil)
	hosts := middleware.AllowedHosts(middleware.NewHostAllowList(panelHostNames(r.Panel)...), basePath+nodepush.Path, basePath+"health")
	// The body rate comes first: every later step, and net/http's drain
	// after the handler, reads the body under its deadline.
	if r.Observe != nil {
		engine.Use(observe(r.Observe))
	}
	engine.Use(r.BodyRate.Handler(), gin.Recovery(), middleware.SecurityHeaders(), middleware.BodyLimit(), hosts, middleware.SameOrigin(), middleware.Gzip())
	if config.IsDebug() {
		engine.Use(gin.Logger())
	}
	engine.GET(basePath+"health", func(c *gin.Context) {
		c.JSON(http.StatusOK, controller.Msg{Success: true, Obj: gin.H{"version": config.GetVersion()}})
	})
	if r.Metrics != nil {
		engine.GET(basePath+"metrics", gin.WrapH(r.Metrics))
		engine.HEAD(basePath+"metrics", gin.WrapH(r.Metrics))
	}
	if r.Push != nil {
		engine.POST(basePath+nodepush.Path, gin.WrapH(r.Push))
	}
	r.Deps.BasePath = basePath
	controller.Register(engine, r.Deps)
	return engine
}

// observe times each request once it is answered, labelled by gin's
// route pattern (never the raw path, which would make a series per URL).
func observe(fn func(route, method string, code int, took time.Duration)) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		fn(c.FullPath(), c.Request.Method, c.Writer.Status(), time.Since(start))
	}
}

// panelHostNames are the host names the panel answers to besides IP
// addresses and localhost: webDomain, and the names the panel's TLS
// certificate is issued for (a panel served under its own certificate's
// name keeps working without setting webDomain).
func panelHostNames(cfg config.PanelConfig) []string {
	names := strings.Split(cfg.WebDomain, ",")
	if cfg.CertFile == "" {
		return names
	}
	data, err := os.ReadFile(cfg.CertFile)
	if err != nil {
		return names
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return names
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
			names = append(names, cert.DNSNames...)
		}
		return names // the leaf is first; the rest are issuers
	}
}
