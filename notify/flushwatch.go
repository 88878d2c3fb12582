package notify

import (
	"context"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

// FlushWatch is told each traffic flush's outcome on this node
// (traffic.FlushDeps.Flushed) and records traffic.flush_failing once when
// the flush has kept failing for notifyFlushFailSeconds, until a flush
// succeeds again. A flush that fails because the database is away cannot
// be recorded then; db.unreachable reports that outage when it ends.
type FlushWatch struct {
	db  *database.Handle
	rec *Recorder
	now func() time.Time

	mu       sync.Mutex
	since    time.Time // first failure of the current run (zero: none)
	failures int
	reported bool
	after    time.Duration // last notifyFlushFailSeconds read
}

// NewFlushWatch records with rec, reading its threshold from db.
func NewFlushWatch(db *database.Handle, rec *Recorder) *FlushWatch {
	return &FlushWatch{db: db, rec: rec, now: time.Now, after: 300 * time.Second}
}

// Flushed takes one flush's outcome (nil: it succeeded).
func (w *FlushWatch) Flushed(err error) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		w.since, w.failures, w.reported = time.Time{}, 0, false
		return
	}
	now := w.now()
	if w.since.IsZero() {
		w.since = now
	}
	w.failures++
	if w.reported {
		return
	}
	if conn, cerr := w.db.DB(); cerr == nil {
		if n, rerr := settings.ReadInt(conn, "notifyFlushFailSeconds"); rerr == nil {
			w.after = time.Duration(n) * time.Second
		}
	}
	if now.Sub(w.since) < w.after {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), emitTimeout)
	defer cancel()
	_, rerr := w.rec.Record(ctx, nil, New(FlushFailing, map[string]any{"failures": w.failures,
		"since": w.since.UTC().Format(time.RFC3339), "error": clipRunes(err.Error(), 300)}))
	if rerr != nil {
		logf("notify: traffic.flush_failing: %v", rerr)
		return
	}
	w.reported = true
}
