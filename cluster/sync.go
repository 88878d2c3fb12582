package cluster

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/util/loop"
)

// SyncPorts are what a Syncer reads from and applies to. They are
// functions because the readers live above this package (the snapshot is
// built from the settings and inbound stores) and because the cluster
// suite's simulated workers apply to a recorder instead of Xray.
type SyncPorts struct {
	CachePath string            // shared-cache.json
	Node      config.NodeConfig // this node, for its status row
	Instance  string            // this process's instance id (NodeInstance)
	// LoadVersion reads the shared accounts version from the database.
	LoadVersion func() (int64, error)
	// LoadSnapshot reads the full shared state as of version.
	LoadSnapshot func(version int64) (*Snapshot, error)
	// LoadDelta builds the next snapshot from the applied one and the
	// change log; ok false (or nil LoadDelta) means load the full one.
	LoadDelta func(base *Snapshot, version int64) (next *Snapshot, ok bool, err error)
	// Apply makes the local Xray run the snapshot.
	Apply func(*Snapshot) error
	// Verify refuses a snapshot that must not run; nil accepts every one.
	Verify func(*Snapshot) error
	// SealKey reads the cluster secret that seals shared-cache.json (an
	// error = the database is away; "" = no secret yet). nil skips seals.
	SealKey func() (string, error)
	// RecordState stores the node's status row; nil skips it.
	RecordState func(*model.NodeState) error
	// Describe adds runtime facts (address, Xray state, pending deltas)
	// to each status row; nil adds none.
	Describe func(*model.NodeState)
	// Observed is told how long each sync that found a new version took
	// to load it (change log or snapshot) and apply it, and whether it
	// failed (the metrics' sync latency); nil: nobody.
	Observed func(took time.Duration, err error)
}

// Syncer keeps a worker's Xray in step with the shared accounts: it polls
// the shared version, refreshes the on-disk snapshot cache and applies it
// live. On start it applies the cache first, so a worker serves even when
// the database is unreachable.
type Syncer struct {
	p SyncPorts

	mu              sync.Mutex
	lastSeenVersion int64
	current         *Snapshot
	wake            chan struct{} // see Wake
	fullSyncs       int64
	deltaSyncs      int64
}

// NewSyncer syncs through p, taking lastSeen as the version already
// applied (0 for a fresh worker).
func NewSyncer(p SyncPorts, lastSeen int64) *Syncer {
	return &Syncer{p: p, lastSeenVersion: lastSeen, wake: make(chan struct{}, 1)}
}

// Current is the snapshot this node applied last (nil before the first).
func (s *Syncer) Current() *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// LastSeenVersion is the shared version applied last.
func (s *Syncer) LastSeenVersion() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastSeenVersion
}

// SyncCounts is how many syncs read the full snapshot and how many only
// the change log since the process started.
func (s *Syncer) SyncCounts() (full, delta int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fullSyncs, s.deltaSyncs
}

func (s *Syncer) updateNodeState(version int64, syncErr error, didSync bool) {
	if s.p.RecordState == nil {
		return
	}
	now := time.Now().Unix()
	state := &model.NodeState{
		NodeID:          s.p.Node.NodeID,
		NodeRole:        string(s.p.Node.Role),
		NodeAddress:     s.p.Node.NodeAddress,
		Instance:        s.p.Instance,
		LastHeartbeatAt: now,
		LastSeenVersion: version,
	}
	if didSync {
		state.LastSyncAt = now
	}
	if syncErr != nil {
		state.LastError = syncErr.Error()
	}
	state.FullSyncs, state.DeltaSyncs = s.SyncCounts()
	if s.p.Describe != nil {
		s.p.Describe(state)
	}
	if err := s.p.RecordState(state); err != nil && syncErr == nil {
		log.Printf("node sync: record state: %v", err)
	}
}

// BootstrapFromCache applies the cached snapshot, if there is one.
func (s *Syncer) BootstrapFromCache() error {
	snapshot, err := LoadSnapshot(s.p.CachePath)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	err = s.checkSeal(snapshot)
	if err == nil {
		err = s.verify(snapshot)
	}
	if err != nil {
		// Keep whatever runs (an adopted Xray keeps its config); the
		// sync that follows loads the state from the database.
		log.Printf("node sync: cached snapshot refused: %v", err)
		s.updateNodeState(s.LastSeenVersion(), fmt.Errorf("cached snapshot refused: %w", err), false)
		return nil
	}
	if err := s.p.Apply(snapshot); err != nil {
		return err
	}
	s.mu.Lock()
	s.lastSeenVersion = snapshot.Version
	s.current = snapshot
	s.mu.Unlock()
	return nil
}

// SyncOnce applies the shared accounts when their version has moved.
func (s *Syncer) SyncOnce() (err error) {
	s.mu.Lock()
	seen := s.lastSeenVersion
	s.mu.Unlock()
	version, err := s.p.LoadVersion()
	if err != nil {
		s.updateNodeState(seen, err, false)
		return err
	}
	if version == seen {
		s.updateNodeState(version, nil, false)
		return nil
	}
	if s.p.Observed != nil {
		start := time.Now()
		defer func() { s.p.Observed(time.Since(start), err) }()
	}
	snapshot, err := s.loadNext(seen, version)
	if err != nil {
		s.updateNodeState(seen, err, false)
		return err
	}
	if err := s.verify(snapshot); err != nil {
		// Not cached, not applied: the last good config keeps running
		// and node_states.lastError tells the admin why.
		s.updateNodeState(seen, err, false)
		return err
	}
	if err := s.seal(snapshot); err != nil {
		s.updateNodeState(seen, err, false)
		return err
	}
	if err := SaveSnapshot(s.p.CachePath, snapshot); err != nil {
		s.updateNodeState(seen, err, false)
		return err
	}
	if err := s.p.Apply(snapshot); err != nil {
		s.updateNodeState(seen, err, false)
		return err
	}
	s.mu.Lock()
	s.lastSeenVersion = snapshot.Version
	s.current = snapshot
	s.mu.Unlock()
	s.updateNodeState(snapshot.Version, nil, true)
	return nil
}

// errBadSeal: the cache was not written by this worker from the shared
// database (edited, or sealed under another cluster's secret).
var errBadSeal = errors.New("its seal does not match the cluster secret (the file was changed outside the panel)")

// checkSeal: with the database reachable the cache must carry the seal
// this worker wrote; a bad one is refused and the sync that follows reads
// the database. With the database away the seal cannot be checked (the
// key is not on this disk, by design) and the cache runs if it passes the
// exposure rule, as the last state this worker had.
func (s *Syncer) checkSeal(snapshot *Snapshot) error {
	if s.p.SealKey == nil {
		return nil
	}
	key, err := s.p.SealKey()
	if err != nil {
		log.Printf("node sync: cannot check the cache seal (%v); using the cache as the last known state", err)
		return nil
	}
	if !SnapshotSealed(snapshot, key) {
		return errBadSeal
	}
	return nil
}

// seal signs a snapshot before it is cached (unsigned when the cluster
// has no secret yet; the next boot then reads the database instead).
func (s *Syncer) seal(snapshot *Snapshot) error {
	snapshot.Seal = ""
	if s.p.SealKey == nil {
		return nil
	}
	key, err := s.p.SealKey()
	if err != nil || key == "" {
		return err
	}
	return SealSnapshot(snapshot, key)
}

func (s *Syncer) verify(snapshot *Snapshot) error {
	if s.p.Verify == nil {
		return nil
	}
	return s.p.Verify(snapshot)
}

// loadNext reads the snapshot at version: from the change log when it
// bridges the applied snapshot to version, else in full.
func (s *Syncer) loadNext(seen, version int64) (*Snapshot, error) {
	if current := s.Current(); s.p.LoadDelta != nil && current != nil && current.Version == seen {
		next, ok, err := s.p.LoadDelta(current, version)
		if err != nil {
			return nil, err
		}
		if ok {
			s.mu.Lock()
			s.deltaSyncs++
			s.mu.Unlock()
			return next, nil
		}
	}
	snapshot, err := s.p.LoadSnapshot(version)
	if err == nil {
		s.mu.Lock()
		s.fullSyncs++
		s.mu.Unlock()
	}
	return snapshot, err
}

// Run bootstraps from the cache, then syncs every interval until ctx ends.
func (s *Syncer) Run(ctx context.Context, interval time.Duration) {
	s.Prepare()
	s.Follow(ctx, interval)
}

// Prepare builds Xray before the node serves: it applies the cached
// snapshot, then tries one sync. Run is Prepare followed by Follow.
func (s *Syncer) Prepare() {
	if err := s.BootstrapFromCache(); err != nil {
		log.Printf("node sync: bootstrap from cache: %v", err)
	}
	if err := s.SyncOnce(); err != nil {
		log.Printf("node sync: %v", err)
	}
}

// Follow syncs every interval, or at once after Wake, until ctx ends.
func (s *Syncer) Follow(ctx context.Context, interval time.Duration) {
	loop.EveryOrWake(ctx, interval, s.wake, func() {
		if err := s.SyncOnce(); err != nil {
			log.Printf("node sync: %v", err)
		}
	})
}

// Wake makes the sync loop poll now (a push from the master); it never
// blocks, and wake-ups during a sync coalesce into one more sync.
func (s *Syncer) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// RunHeartbeatLoop records a master's status every interval.
func (s *Syncer) RunHeartbeatLoop(ctx context.Context, interval time.Duration) {
	beat := func() {
		version, err := s.p.LoadVersion()
		s.updateNodeState(version, err, false)
	}
	beat()
	loop.Every(ctx, interval, beat)
}
