package service

import (
	"context"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/traffic"
)

// TrafficFlushService is the plan's name for the flush engine,
// traffic.Flusher, which does the work; this shell keeps the plan's
// constructor, its error-only FlushOnce and its flushFn test hook.
type TrafficFlushService struct {
	*traffic.Flusher
	store *TrafficPendingStore // the journal, as the plan's tests read it
	// flushFn, when set, replaces the database step (the plan's tests set
	// it to make the flush fail).
	flushFn func([]TrafficDelta) error
}

// FlushKnobs let tests fail a named step ("collect", "inTx", ...).
type FlushKnobs = traffic.FlushKnobs

// NewTrafficFlushService flushes store into the process database under
// this node's id and role as x-ui.json names them now (the plan's
// function; the panel uses NewTrafficFlushServiceOn).
func NewTrafficFlushService(store *TrafficPendingStore) *TrafficFlushService {
	return NewTrafficFlushServiceOn(database.Process(), store, cluster.NodeFromJSON(), FlushDeps{})
}

// NewTrafficFlushServiceOn flushes store into db as node (its id, role and
// flush period are fixed for the service's life).
func NewTrafficFlushServiceOn(db *database.Handle, store *TrafficPendingStore, node *cluster.Node, deps FlushDeps) *TrafficFlushService {
	cfg := node.Config()
	interval := time.Duration(cfg.TrafficFlushSeconds) * time.Second
	return &TrafficFlushService{Flusher: traffic.NewFlusher(db, store, cfg.NodeID, node.IsMaster(), interval, deps), store: store}
}

// NewTrafficFlushServiceFor flushes store into db as node nodeID ("local"
// when empty); master says whether this node runs the reconciliation.
func NewTrafficFlushServiceFor(db *database.Handle, store *TrafficPendingStore, nodeID string, master bool) *TrafficFlushService {
	return NewTrafficFlushServiceWith(db, store, nodeID, master, FlushDeps{})
}

// FlushDeps are what a flush asks and tells besides its database, fixed
// at construction (see traffic.FlushDeps).
type FlushDeps = traffic.FlushDeps

// NewTrafficFlushServiceWith is NewTrafficFlushServiceFor with deps.
func NewTrafficFlushServiceWith(db *database.Handle, store *TrafficPendingStore, nodeID string, master bool, deps FlushDeps) *TrafficFlushService {
	return &TrafficFlushService{Flusher: traffic.NewFlusher(db, store, nodeID, master, 0, deps), store: store}
}

// FlushOnce is traffic.Flusher.FlushOnce with the plan's signature: it
// reports only whether the flush failed.
func (s *TrafficFlushService) FlushOnce() error {
	if s.flushFn != nil {
		s.Knobs.Apply = s.flushFn
	}
	_, err := s.Flusher.FlushOnce(context.Background())
	return err
}
