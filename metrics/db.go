package metrics

import (
	"errors"
	"sync"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"
)

// dbWatch counts failed statements through gorm callbacks on the
// connection the handle holds. A handle may swap its connection (a
// worker reconnecting, a restored backup); each connection seen is
// instrumented once, at start and again at each scrape, so statements
// on a brand-new connection count from the first scrape after the swap.
type dbWatch struct {
	errors *prometheus.CounterVec
	mu     sync.Mutex
	seen   *gorm.DB
}

// callbackName is ours among gorm's callbacks.
const callbackName = "xui:metrics_errors"

func (w *dbWatch) instrument(h *database.Handle) {
	conn := h.Current()
	w.mu.Lock()
	defer w.mu.Unlock()
	if conn == nil || conn == w.seen {
		return
	}
	w.seen = conn
	count := func(op string) func(*gorm.DB) {
		return func(tx *gorm.DB) {
			if tx.Error != nil && !errors.Is(tx.Error, gorm.ErrRecordNotFound) {
				w.errors.WithLabelValues(op).Inc()
			}
		}
	}
	// Replace, not Register: a connection instrumented by an earlier
	// Metrics (a test's second App on one database) counts into this one
	// from now on, without gorm's duplicate-callback warning.
	cb := conn.Callback()
	_ = cb.Create().After("gorm:create").Replace(callbackName, count("create"))
	_ = cb.Query().After("gorm:query").Replace(callbackName, count("query"))
	_ = cb.Update().After("gorm:update").Replace(callbackName, count("update"))
	_ = cb.Delete().After("gorm:delete").Replace(callbackName, count("delete"))
	_ = cb.Row().After("gorm:row").Replace(callbackName, count("row"))
	_ = cb.Raw().After("gorm:raw").Replace(callbackName, count("raw"))
}

// WatchDB instruments h's current connection now (the app calls it at
// start; scrapes catch later swaps).
func (m *Metrics) WatchDB(h *database.Handle) { m.db.instrument(h) }
