package traffic

import (
	"context"
	"log"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/util/loop"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
)

// DefaultFlushInterval is x-ui.json's trafficFlushInterval default.
const DefaultFlushInterval = 10 * time.Second

// Flusher moves traffic from Xray into the shared counters exactly once:
// Collect journals deltas on disk, FlushOnce sends them as numbered
// batches that the per-node ledger applies at most once.
type Flusher struct {
	journal  *Journal
	db       *database.Handle
	nodeID   string
	master   bool          // this node runs the reconciliation (fixed at start)
	interval time.Duration // Run's flush period
	counters Counters
	// resolveInbound maps an email to its inbound id from the local
	// snapshot; nil keeps the inbound id the caller gave.
	resolveInbound func(email string) (int, bool)
	// onReconciled runs after a commit in which the master disabled or
	// renewed something, so its own Xray follows at once.
	onReconciled func()
	// observed is told each flush's duration (see FlushDeps.Observed).
	observed func(took time.Duration, err error)
	// flushed is told each Run flush's outcome (FlushDeps.Flushed).
	flushed func(err error)
	// Knobs are test hooks; production leaves them zero.
	Knobs FlushKnobs

	flushMu sync.Mutex // one flush at a time: batches are sent in order
}

// FlushKnobs let tests fail a named step ("collect", "afterBegin",
// "inTx", "afterCommit") or replace the database step.
type FlushKnobs struct {
	Failpoint func(step string) error
	// Apply, when set, replaces the database step (ledger and counters)
	// for every batch; its error fails the flush like a database error.
	Apply func(deltas []Delta) error
}

// FlushResult is what one FlushOnce did.
type FlushResult struct {
	Batches    int   // batches the ledger applied (0, 1 or, after a crash, 2)
	Applied    int   // deltas in those batches
	Skipped    int   // batches the ledger had already seen (a resend after a crash)
	Dropped    int64 // deltas whose client or inbound no longer exists
	Reconciled bool  // the master's rules disabled or renewed something
}

// batchOutcome is the database step's result for one batch.
type batchOutcome struct {
	skipped    bool
	dropped    int64
	reconciled bool
}

// FlushDeps are what a flush asks and tells besides its database, fixed
// at construction.
type FlushDeps struct {
	// ResolveInbound maps an email to its inbound id from the local
	// snapshot (a worker); nil keeps the inbound id the caller gave.
	ResolveInbound func(email string) (int, bool)
	// OnReconciled runs after a commit in which the master disabled or
	// renewed something, so its own Xray (and its workers) follow at once.
	OnReconciled func()
	// ClientsDisabled runs inside the rules' transaction with the clients
	// they disabled (Counters.Disabled): the master records its events.
	ClientsDisabled func(tx *gorm.DB, clients []DisabledClient) error
	// Observed is told the duration of each flush that sent a batch or
	// failed (the metrics' flush latency and failures); nil: nobody.
	Observed func(took time.Duration, err error)
	// RulesPass runs last in every pass of the rules' transaction
	// (Counters.Warn): the master records quota and expiry warnings.
	RulesPass func(tx *gorm.DB) error
	// Flushed is told the outcome of each flush of the Run loop (nil: a
	// success), so a flush that keeps failing is reported.
	Flushed func(err error)
}

// NewFlusher flushes journal into db as node nodeID ("local" when empty);
// master says whether this node runs the reconciliation, interval is Run's
// period (DefaultFlushInterval when not positive).
func NewFlusher(db *database.Handle, journal *Journal, nodeID string, master bool, interval time.Duration, deps FlushDeps) *Flusher {
	if nodeID == "" {
		nodeID = "local"
	}
	if interval <= 0 {
		interval = DefaultFlushInterval
	}
	return &Flusher{db: db, journal: journal, nodeID: nodeID, master: master, interval: interval,
		resolveInbound: deps.ResolveInbound, onReconciled: deps.OnReconciled, observed: deps.Observed,
		counters: Counters{Disabled: deps.ClientsDisabled, Warn: deps.RulesPass}, flushed: deps.Flushed}
}

// Store is the journal this flusher flushes.
func (f *Flusher) Store() *Journal { return f.journal }

// Collect journals client traffic read from Xray. It never touches the
// database, so it keeps working while the database is away.
func (f *Flusher) Collect(clientTraffics []*xray.ClientTraffic) error {
	return f.CollectAll(nil, clientTraffics)
}

// CollectAll journals one drain: the inbounds' and outbounds' own counters
// and the clients'.
func (f *Flusher) CollectAll(traffics []*xray.Traffic, clientTraffics []*xray.ClientTraffic) error {
	deltas := make([]Delta, 0, len(clientTraffics)+len(traffics))
	for _, t := range traffics {
		if t == nil || (t.Up == 0 && t.Down == 0) || (!t.IsInbound && !t.IsOutbound) {
			continue
		}
		deltas = append(deltas, Delta{Tag: t.Tag, Outbound: t.IsOutbound, UpDelta: t.Up, DownDelta: t.Down})
	}
	for _, ct := range clientTraffics {
		if ct == nil || (ct.Up == 0 && ct.Down == 0) {
			continue
		}
		inboundID := ct.InboundId
		if f.resolveInbound != nil {
			if id, ok := f.resolveInbound(ct.Email); ok {
				inboundID = id
			}
		}
		deltas = append(deltas, Delta{InboundID: inboundID, Email: ct.Email, UpDelta: ct.Up, DownDelta: ct.Down})
	}
	if err := f.fail("collect"); err != nil {
		return err
	}
	return f.journal.Merge(deltas)
}

func (f *Flusher) fail(step string) error {
	if f.Knobs.Failpoint == nil {
		return nil
	}
	return f.Knobs.Failpoint(step)
}

// FlushOnce sends the unfinished batch (if a previous flush died) and then
// the pending deltas. A failure leaves the batch inflight for the next try;
// the result counts what was done before it.
func (f *Flusher) FlushOnce(ctx context.Context) (res FlushResult, err error) {
	f.flushMu.Lock()
	defer f.flushMu.Unlock()
	if f.observed != nil {
		start := time.Now()
		defer func() {
			// An empty journal is not a flush worth timing.
			if err != nil || res.Batches+res.Skipped > 0 {
				f.observed(time.Since(start), err)
			}
		}()
	}
	for i := 0; i < 2; i++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		batch, err := f.journal.BeginFlush()
		if err != nil || batch == nil {
			return res, err
		}
		if err := f.fail("afterBegin"); err != nil {
			return res, err
		}
		out, err := f.applyBatch(batch)
		if err != nil {
			return res, err
		}
		if err := f.fail("afterCommit"); err != nil {
			return res, err
		}
		if err := f.journal.CompleteFlush(batch.Seq, out.dropped); err != nil {
			return res, err
		}
		if out.skipped {
			res.Skipped++
		} else {
			res.Batches++
			res.Applied += len(batch.Deltas)
		}
		res.Dropped += out.dropped
		if out.reconciled {
			res.Reconciled = true
			if f.onReconciled != nil {
				f.onReconciled()
			}
		}
	}
	return res, nil
}

func (f *Flusher) applyBatch(batch *Batch) (batchOutcome, error) {
	if f.Knobs.Apply != nil {
		return batchOutcome{}, f.Knobs.Apply(batch.Deltas)
	}
	return f.flushToDatabase(batch.Seq, batch.Deltas)
}

// flushToDatabase applies batch seq and advances the ledger in a single
// transaction; a batch the ledger has seen is skipped.
func (f *Flusher) flushToDatabase(seq int64, deltas []Delta) (batchOutcome, error) {
	var out batchOutcome
	conn := f.db.Current()
	if conn == nil {
		return out, database.ErrClosed
	}
	err := conn.Transaction(func(tx *gorm.DB) error {
		out = batchOutcome{}
		lastSeq, err := LockLedger(tx, f.nodeID)
		if err != nil {
			return err
		}
		if seq <= lastSeq {
			out.skipped = true
			return nil
		}
		if out.dropped, err = ApplyBatch(tx, f.nodeID, deltas); err != nil {
			return err
		}
		if err := tx.Model(&model.TrafficFlushLedger{}).Where("node_id = ?", f.nodeID).
			Updates(map[string]any{"last_seq": seq, "updated_at": time.Now().Unix()}).Error; err != nil {
			return err
		}
		if f.master {
			if out.reconciled, err = ReconcileAndBump(tx, &f.counters); err != nil {
				return err
			}
		}
		return f.fail("inTx")
	})
	if err != nil {
		return batchOutcome{}, err
	}
	return out, nil
}

// ReconcileOnce is the master's timer-driven reconciliation, independent of
// whether the master itself has traffic to flush.
func (f *Flusher) ReconcileOnce() (bool, error) {
	conn := f.db.Current()
	if conn == nil {
		return false, database.ErrClosed
	}
	var changed bool
	err := conn.Transaction(func(tx *gorm.DB) error {
		var err error
		changed, err = ReconcileAndBump(tx, &f.counters)
		return err
	})
	if err == nil && changed && f.onReconciled != nil {
		f.onReconciled()
	}
	return changed, err
}

// Run flushes every interval (and the master reconciles) until ctx ends,
// then makes a last flush attempt.
func (f *Flusher) Run(ctx context.Context) {
	f.RunEvery(ctx, f.interval)
}

// RunEvery is Run with an explicit interval.
func (f *Flusher) RunEvery(ctx context.Context, interval time.Duration) {
	loop.Every(ctx, interval, func() {
		_, err := f.FlushOnce(ctx)
		if err != nil && ctx.Err() == nil {
			log.Printf("traffic flush: %v", err)
		}
		if f.flushed != nil && ctx.Err() == nil {
			f.flushed(err)
		}
		if f.master {
			if _, err := f.ReconcileOnce(); err != nil {
				log.Printf("traffic reconcile: %v", err)
			}
		}
	})
	// The last attempt runs after ctx ended, so it gets a context of its own.
	if _, err := f.FlushOnce(context.Background()); err != nil {
		log.Printf("traffic flush at shutdown: %v", err)
	}
}
