package service

import (
	"context"
	"log"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/traffic"
	"github.com/mhsanaei/3x-ui/v2/util/loop"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"gorm.io/gorm"
)

// TrafficFlushService moves traffic from Xray into the shared counters
// exactly once: Collect journals deltas on disk, FlushOnce sends them as a
// numbered batch that the per-node ledger applies at most once.
type TrafficFlushService struct {
	store    *TrafficPendingStore
	counters traffic.Counters
	flushFn  func([]TrafficDelta) error

	db       *database.Handle
	nodeID   string
	master   bool          // this node runs the reconciliation (fixed at start)
	interval time.Duration // Run's flush period
	// resolveInbound maps an email to its inbound id from the local
	// snapshot; nil keeps the inbound id the caller gave.
	resolveInbound func(email string) (int, bool)
	// onReconciled runs after a commit in which the master disabled or
	// renewed something, so its own Xray follows at once.
	onReconciled func()
	// Knobs are test hooks; production leaves them zero.
	Knobs FlushKnobs

	flushMu    sync.Mutex
	batchSeq   int64
	dropped    int64
	reconciled bool
}

// FlushKnobs let tests fail a named step ("collect", "inTx", ...).
type FlushKnobs struct {
	Failpoint func(step string) error
}

// NewTrafficFlushService flushes store into the process database under
// this node's id and role as x-ui.json names them now (the plan's
// function; the panel uses NewTrafficFlushServiceOn).
func NewTrafficFlushService(store *TrafficPendingStore) *TrafficFlushService {
	return NewTrafficFlushServiceOn(database.Process(), store, cluster.NodeFromJSON(), FlushDeps{})
}

// NewTrafficFlushServiceOn flushes store into db as node (its id, role and
// flush period are fixed for the service's life).
func NewTrafficFlushServiceOn(db *database.Handle, store *TrafficPendingStore, node *cluster.Node, deps FlushDeps) *TrafficFlushService {
	svc := NewTrafficFlushServiceWith(db, store, node.Config().NodeID, node.IsMaster(), deps)
	if secs := node.Config().TrafficFlushSeconds; secs > 0 {
		svc.interval = time.Duration(secs) * time.Second
	}
	return svc
}

// NewTrafficFlushServiceFor flushes store into db as node nodeID ("local"
// when empty); master says whether this node runs the reconciliation.
func NewTrafficFlushServiceFor(db *database.Handle, store *TrafficPendingStore, nodeID string, master bool) *TrafficFlushService {
	return NewTrafficFlushServiceWith(db, store, nodeID, master, FlushDeps{})
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
}

// NewTrafficFlushServiceWith is NewTrafficFlushServiceFor with deps.
func NewTrafficFlushServiceWith(db *database.Handle, store *TrafficPendingStore, nodeID string, master bool, deps FlushDeps) *TrafficFlushService {
	if nodeID == "" {
		nodeID = "local"
	}
	svc := &TrafficFlushService{db: db, store: store, nodeID: nodeID, master: master, interval: defaultFlushInterval,
		resolveInbound: deps.ResolveInbound, onReconciled: deps.OnReconciled}
	svc.flushFn = svc.flushToDatabase
	return svc
}

// defaultFlushInterval is x-ui.json's trafficFlushInterval default.
const defaultFlushInterval = 10 * time.Second

// Store is the journal this service flushes.
func (s *TrafficFlushService) Store() *TrafficPendingStore { return s.store }

// Collect journals client traffic read from Xray. It never touches the
// database, so it keeps working while the database is away.
func (s *TrafficFlushService) Collect(clientTraffics []*xray.ClientTraffic) error {
	return s.CollectAll(nil, clientTraffics)
}

// CollectAll journals one drain: the inbounds' and outbounds' own counters
// and the clients'.
func (s *TrafficFlushService) CollectAll(traffics []*xray.Traffic, clientTraffics []*xray.ClientTraffic) error {
	deltas := make([]TrafficDelta, 0, len(clientTraffics)+len(traffics))
	for _, t := range traffics {
		if t == nil || (t.Up == 0 && t.Down == 0) || (!t.IsInbound && !t.IsOutbound) {
			continue
		}
		deltas = append(deltas, TrafficDelta{Tag: t.Tag, Outbound: t.IsOutbound, UpDelta: t.Up, DownDelta: t.Down})
	}
	for _, traffic := range clientTraffics {
		if traffic == nil || (traffic.Up == 0 && traffic.Down == 0) {
			continue
		}
		inboundID := traffic.InboundId
		if s.resolveInbound != nil {
			if id, ok := s.resolveInbound(traffic.Email); ok {
				inboundID = id
			}
		}
		deltas = append(deltas, TrafficDelta{
			InboundID: inboundID,
			Email:     traffic.Email,
			UpDelta:   traffic.Up,
			DownDelta: traffic.Down,
		})
	}
	if err := s.fail("collect"); err != nil {
		return err
	}
	return s.store.Merge(deltas)
}

func (s *TrafficFlushService) fail(step string) error {
	if s.Knobs.Failpoint == nil {
		return nil
	}
	return s.Knobs.Failpoint(step)
}

// FlushOnce sends the unfinished batch (if a previous flush died) and then
// the pending deltas. A failure leaves the batch inflight for the next try.
func (s *TrafficFlushService) FlushOnce() error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	for i := 0; i < 2; i++ {
		batch, err := s.store.BeginFlush()
		if err != nil || batch == nil {
			return err
		}
		if err := s.fail("afterBegin"); err != nil {
			return err
		}
		s.batchSeq, s.dropped, s.reconciled = batch.Seq, 0, false
		if err := s.flushFn(batch.Deltas); err != nil {
			return err
		}
		if err := s.fail("afterCommit"); err != nil {
			return err
		}
		if err := s.store.CompleteFlush(batch.Seq, s.dropped); err != nil {
			return err
		}
		if s.reconciled && s.onReconciled != nil {
			s.onReconciled()
		}
	}
	return nil
}

// flushToDatabase applies one batch and advances the ledger in a single
// transaction; a batch the ledger has seen is skipped.
func (s *TrafficFlushService) flushToDatabase(deltas []TrafficDelta) error {
	conn := s.db.Current()
	if conn == nil {
		return database.ErrClosed
	}
	return conn.Transaction(func(tx *gorm.DB) error {
		lastSeq, err := traffic.LockLedger(tx, s.nodeID)
		if err != nil {
			return err
		}
		if s.batchSeq <= lastSeq {
			return nil
		}
		dropped, err := traffic.ApplyBatch(tx, s.nodeID, deltas)
		if err != nil {
			return err
		}
		s.dropped = dropped
		if err := tx.Model(&model.TrafficFlushLedger{}).Where("node_id = ?", s.nodeID).
			Updates(map[string]any{"last_seq": s.batchSeq, "updated_at": time.Now().Unix()}).Error; err != nil {
			return err
		}
		if s.master {
			changed, err := traffic.ReconcileAndBump(tx, &s.counters)
			if err != nil {
				return err
			}
			s.reconciled = changed
		}
		return s.fail("inTx")
	})
}

// ReconcileOnce is the master's timer-driven reconciliation, independent of
// whether the master itself has traffic to flush.
func (s *TrafficFlushService) ReconcileOnce() (bool, error) {
	conn := s.db.Current()
	if conn == nil {
		return false, database.ErrClosed
	}
	var changed bool
	err := conn.Transaction(func(tx *gorm.DB) error {
		var err error
		changed, err = traffic.ReconcileAndBump(tx, &s.counters)
		return err
	})
	if err == nil && changed && s.onReconciled != nil {
		s.onReconciled()
	}
	return changed, err
}

// Run flushes every interval (and the master reconciles) until ctx ends,
// then makes a last flush attempt.
func (s *TrafficFlushService) Run(ctx context.Context) {
	s.RunEvery(ctx, s.interval)
}

// RunEvery is Run with an explicit interval.
func (s *TrafficFlushService) RunEvery(ctx context.Context, interval time.Duration) {
	loop.Every(ctx, interval, func() {
		if err := s.FlushOnce(); err != nil {
			log.Printf("traffic flush: %v", err)
		}
		if s.master {
			if _, err := s.ReconcileOnce(); err != nil {
				log.Printf("traffic reconcile: %v", err)
			}
		}
	})
	if err := s.FlushOnce(); err != nil {
		log.Printf("traffic flush at shutdown: %v", err)
	}
}
