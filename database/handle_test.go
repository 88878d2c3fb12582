package database

import (
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"
)

func TestNilHandleIsAClosedDatabase(t *testing.T) {
	t.Parallel()
	var h *Handle
	if _, err := h.DB(); !errors.Is(err, ErrClosed) {
		t.Fatalf("DB on nil: %v", err)
	}
	if _, err := h.Reconnect(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Reconnect on nil: %v", err)
	}
	if h.Current() != nil || h.Close() != nil {
		t.Fatal("nil handle must read as closed and close cleanly")
	}
}

// A worker's loops race to reconnect after an outage: the database is
// opened once and every caller gets that one connection.
func TestHandleReconnectsOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x-ui.db")
	var opens atomic.Int32
	h := NewHandle(nil, func() (*gorm.DB, error) {
		opens.Add(1)
		return OpenSQLite(path)
	})
	t.Cleanup(func() { h.Close() })
	if _, err := h.DB(); !errors.Is(err, ErrClosed) {
		t.Fatalf("DB before reconnect: %v", err)
	}
	conns := make([]*gorm.DB, 8)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := h.Reconnect()
			if err != nil {
				t.Error(err)
			}
			conns[i] = conn
		}()
	}
	wg.Wait()
	if opens.Load() != 1 {
		t.Fatalf("opened %d times, want 1", opens.Load())
	}
	for _, c := range conns {
		if c == nil || c != conns[0] {
			t.Fatal("callers got different connections")
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if h.Current() != nil {
		t.Fatal("Close left a connection")
	}
	if _, err := h.Reconnect(); err != nil || opens.Load() != 2 {
		t.Fatalf("reconnect after close: %v (opens %d)", err, opens.Load())
	}
}

// A handle without a way to reopen stays closed.
func TestHandleWithoutReopenStaysClosed(t *testing.T) {
	t.Parallel()
	h := NewHandle(nil, nil)
	if _, err := h.Reconnect(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Reconnect: %v", err)
	}
}
