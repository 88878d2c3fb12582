package database

import (
	"sync"

	"gorm.io/gorm"
)

// Handle is a database connection that may be away and come back: a
// worker starts without MariaDB and reconnects later, and a restored
// backup swaps the connection underneath. Services keep the Handle they
// were built with and ask it for the connection on each call, so nobody
// needs a process-wide variable. A nil *Handle is a closed database.
type Handle struct {
	mu   sync.RWMutex
	conn *gorm.DB

	reopenMu sync.Mutex
	reopen   func() (*gorm.DB, error)

	// mirror, when set, receives every swap (the process handle keeps the
	// package variable db current for the plan's tests, which read it).
	mirror **gorm.DB
}

// NewHandle wraps an open connection (nil: closed). reopen, when not nil,
// is how Reconnect opens the database again while it is closed.
func NewHandle(conn *gorm.DB, reopen func() (*gorm.DB, error)) *Handle {
	return &Handle{conn: conn, reopen: reopen}
}

// Current returns the open connection, or nil while the database is away.
func (h *Handle) Current() *gorm.DB {
	if h == nil {
		return nil
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.conn
}

// DB returns the open connection or ErrClosed; it never hands out nil.
func (h *Handle) DB() (*gorm.DB, error) {
	if conn := h.Current(); conn != nil {
		return conn, nil
	}
	return nil, ErrClosed
}

// Reconnect returns the open connection, opening it first (once, however
// many callers race) when it is away and the handle knows how to reopen.
func (h *Handle) Reconnect() (*gorm.DB, error) {
	if conn := h.Current(); conn != nil {
		return conn, nil
	}
	if h == nil || h.reopen == nil {
		return nil, ErrClosed
	}
	h.reopenMu.Lock()
	defer h.reopenMu.Unlock()
	if conn := h.Current(); conn != nil {
		return conn, nil
	}
	conn, err := h.reopen()
	if err != nil {
		return nil, err
	}
	h.swap(conn)
	return conn, nil
}

// swap installs conn (nil: closed) and closes the connection it replaces.
func (h *Handle) swap(conn *gorm.DB) error {
	h.mu.Lock()
	old := h.conn
	h.conn = conn
	if h.mirror != nil {
		*h.mirror = conn
	}
	h.mu.Unlock()
	if old == nil || old == conn {
		return nil
	}
	return closeConn(old)
}

// Close closes the connection; Reconnect may open it again.
func (h *Handle) Close() error {
	if h == nil {
		return nil
	}
	return h.swap(nil)
}
