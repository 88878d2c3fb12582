package service

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/iplimit"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/util/loop"
	"github.com/mhsanaei/3x-ui/v2/web/nodepush"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xrayconf"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// NodeSyncService keeps a worker's Xray in step with the shared accounts:
// it polls the shared version, refreshes the on-disk snapshot cache and
// applies it live. On start it applies the cache first, so a worker serves
// even when the database is unreachable.
type NodeSyncService struct {
	cachePath       string
	lastSeenVersion int64
	loadVersion     func() (int64, error)
	loadSnapshot    func(int64) (*SharedAccountsSnapshot, error)
	// loadDelta builds the next snapshot from the applied one and the
	// change log; ok false (or nil loadDelta) means load the full one.
	loadDelta     func(base *SharedAccountsSnapshot, version int64) (*SharedAccountsSnapshot, bool, error)
	applySnapshot func(*SharedAccountsSnapshot) error
	// verifySnapshot refuses a snapshot that must not run (see
	// xrayrun.VerifySnapshot); nil accepts every snapshot.
	verifySnapshot func(*SharedAccountsSnapshot) error
	// sealKey reads the cluster secret that seals shared-cache.json (an
	// error = the database is away; "" = no secret yet). nil skips seals.
	sealKey func() (string, error)
	// recordState stores the node's status row; nil skips it.
	recordState func(*model.NodeState) error
	// describe adds runtime facts (address, Xray state, pending deltas).
	describe func(*model.NodeState)
	node     config.NodeConfig
	instance string

	mu         sync.Mutex
	current    *SharedAccountsSnapshot
	emailIndex map[string]int // built lazily from current
	wake       chan struct{}  // see Wake
	fullSyncs  int64
	deltaSyncs int64
}

// NewNodeSyncService wires a sync loop that applies snapshots to xraySvc.
func NewNodeSyncService(db *database.Handle, xraySvc *xrayrun.XrayService, node config.NodeConfig, cachePath string) *NodeSyncService {
	return NewNodeSyncServiceWith(NodeSyncDeps{
		DB: db, Node: node, CachePath: cachePath,
		Settings: xraySvc.Settings(), Inbounds: xraySvc.Inbounds(),
		Apply: xraySvc.ApplySharedSnapshot, Verify: xraySvc.VerifySnapshot,
	})
}

// NodeSyncDeps are what a sync loop reads from and applies to. The panel
// applies to its Xray service; the cluster suite's simulated workers
// (tests/multinode) apply to a recorder of the Xray operations instead.
type NodeSyncDeps struct {
	DB        *database.Handle // reopened when the worker started without it
	Node      config.NodeConfig
	CachePath string
	Settings  *settings.SettingService
	Inbounds  *inbound.InboundService
	Apply     func(*SharedAccountsSnapshot) error
	// Verify, when set, is asked before a snapshot is cached or applied.
	Verify func(*SharedAccountsSnapshot) error
	// Describe, when set, fills runtime facts into each status row.
	Describe func(*model.NodeState)
}

// NewNodeSyncServiceWith wires a sync loop from explicit parts; every
// database read goes through d.DB.
func NewNodeSyncServiceWith(d NodeSyncDeps) *NodeSyncService {
	svc := &NodeSyncService{cachePath: d.CachePath, node: d.Node, instance: cluster.NodeInstance(), describe: d.Describe}
	svc.loadVersion = func() (int64, error) {
		conn, err := d.DB.Reconnect()
		if err != nil {
			return 0, err
		}
		return database.GetSharedAccountsVersion(conn)
	}
	svc.loadSnapshot = func(version int64) (*SharedAccountsSnapshot, error) {
		return LoadSnapshotFromDB(d.DB, d.Settings, d.Inbounds, version)
	}
	svc.loadDelta = func(base *SharedAccountsSnapshot, version int64) (*SharedAccountsSnapshot, bool, error) {
		conn := d.DB.Current()
		if conn == nil {
			return nil, false, errors.New("database not open")
		}
		return LoadSnapshotDelta(conn, base, version)
	}
	svc.applySnapshot = d.Apply
	svc.verifySnapshot = d.Verify
	svc.sealKey = func() (string, error) {
		conn, err := d.DB.Reconnect()
		if err != nil {
			return "", err
		}
		return nodepush.LoadSecret(conn)
	}
	svc.recordState = func(state *model.NodeState) error {
		conn := d.DB.Current()
		if conn == nil {
			return errors.New("database not open")
		}
		// Signed last: the signature covers the fields written here.
		if err := cluster.SignNodeState(state); err != nil {
			return fmt.Errorf("sign node state: %w", err)
		}
		return database.UpsertNodeState(conn, state)
	}
	return svc
}

// LoadSnapshotFromDB reads the shared accounts as of (at least) version.
func LoadSnapshotFromDB(db *database.Handle, settings *settings.SettingService, inbounds *inbound.InboundService, version int64) (*SharedAccountsSnapshot, error) {
	template, err := settings.GetXrayConfigTemplate()
	if err != nil {
		return nil, err
	}
	list, err := inbounds.GetAllInbounds()
	if err != nil {
		return nil, err
	}
	snapshot := &SharedAccountsSnapshot{
		Version:      version,
		GeneratedAt:  time.Now().Unix(),
		XrayTemplate: template,
		Inbounds:     list,
	}
	var nodes []model.NodeState
	if conn := db.Current(); conn != nil && conn.Where("node_address <> ?", "").Find(&nodes).Error == nil {
		// Only rows signed by their node's registered key: a forged row
		// must not put its address into the workers' subscriptions.
		nodes, _ = cluster.TrustedNodeStates(conn, nodes, false)
		for _, n := range nodes {
			snapshot.Nodes = append(snapshot.Nodes, SnapshotNode{NodeID: n.NodeID, Address: n.NodeAddress})
		}
	}
	return snapshot, nil
}

// Current is the snapshot this node applied last (nil before the first).
func (s *NodeSyncService) Current() *SharedAccountsSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// LastSeenVersion is the shared version applied last.
func (s *NodeSyncService) LastSeenVersion() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastSeenVersion
}

func (s *NodeSyncService) updateNodeState(version int64, syncErr error, didSync bool) {
	if s.recordState == nil {
		return
	}
	now := time.Now().Unix()
	state := &model.NodeState{
		NodeID:          s.node.NodeID,
		NodeRole:        string(s.node.Role),
		NodeAddress:     s.node.NodeAddress,
		Instance:        s.instance,
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
	if s.describe != nil {
		s.describe(state)
	}
	if err := s.recordState(state); err != nil && syncErr == nil {
		log.Printf("node sync: record state: %v", err)
	}
}

// BootstrapFromCache applies the cached snapshot, if there is one.
func (s *NodeSyncService) BootstrapFromCache() error {
	snapshot, err := LoadSharedAccountsSnapshot(s.cachePath)
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
	if err := s.applySnapshot(snapshot); err != nil {
		return err
	}
	s.mu.Lock()
	s.lastSeenVersion = snapshot.Version
	s.current, s.emailIndex = snapshot, nil
	s.mu.Unlock()
	return nil
}

// SyncOnce applies the shared accounts when their version has moved.
func (s *NodeSyncService) SyncOnce() error {
	s.mu.Lock()
	seen := s.lastSeenVersion
	s.mu.Unlock()
	version, err := s.loadVersion()
	if err != nil {
		s.updateNodeState(seen, err, false)
		return err
	}
	if version == seen {
		s.updateNodeState(version, nil, false)
		return nil
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
	if err := SaveSharedAccountsSnapshot(s.cachePath, snapshot); err != nil {
		s.updateNodeState(seen, err, false)
		return err
	}
	if err := s.applySnapshot(snapshot); err != nil {
		s.updateNodeState(seen, err, false)
		return err
	}
	s.mu.Lock()
	s.lastSeenVersion = snapshot.Version
	s.current, s.emailIndex = snapshot, nil
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
func (s *NodeSyncService) checkSeal(snapshot *SharedAccountsSnapshot) error {
	if s.sealKey == nil {
		return nil
	}
	key, err := s.sealKey()
	if err != nil {
		log.Printf("node sync: cannot check the cache seal (%v); using the cache as the last known state", err)
		return nil
	}
	if !cluster.SnapshotSealed(snapshot, key) {
		return errBadSeal
	}
	return nil
}

// seal signs a snapshot before it is cached (unsigned when the cluster
// has no secret yet; the next boot then reads the database instead).
func (s *NodeSyncService) seal(snapshot *SharedAccountsSnapshot) error {
	snapshot.Seal = ""
	if s.sealKey == nil {
		return nil
	}
	key, err := s.sealKey()
	if err != nil || key == "" {
		return err
	}
	return cluster.SealSnapshot(snapshot, key)
}

func (s *NodeSyncService) verify(snapshot *SharedAccountsSnapshot) error {
	if s.verifySnapshot == nil {
		return nil
	}
	return s.verifySnapshot(snapshot)
}

// loadNext reads the snapshot at version: from the change log when it
// bridges the applied snapshot to version, else in full.
func (s *NodeSyncService) loadNext(seen, version int64) (*SharedAccountsSnapshot, error) {
	if current := s.Current(); s.loadDelta != nil && current != nil && current.Version == seen {
		next, ok, err := s.loadDelta(current, version)
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
	snapshot, err := s.loadSnapshot(version)
	if err == nil {
		s.mu.Lock()
		s.fullSyncs++
		s.mu.Unlock()
	}
	return snapshot, err
}

// SyncCounts is how many syncs read the full snapshot and how many only
// the change log since the process started.
func (s *NodeSyncService) SyncCounts() (full, delta int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fullSyncs, s.deltaSyncs
}

// Run bootstraps from the cache, then syncs every interval until ctx ends.
func (s *NodeSyncService) Run(ctx context.Context, interval time.Duration) {
	if err := s.BootstrapFromCache(); err != nil {
		log.Printf("node sync: bootstrap from cache: %v", err)
	}
	sync := func() {
		if err := s.SyncOnce(); err != nil {
			log.Printf("node sync: %v", err)
		}
	}
	sync()
	loop.EveryOrWake(ctx, interval, s.wakeChan(), sync)
}

// RunHeartbeatLoop records a master's status every interval.
func (s *NodeSyncService) RunHeartbeatLoop(ctx context.Context, interval time.Duration) {
	beat := func() {
		version, err := s.loadVersion()
		s.updateNodeState(version, err, false)
	}
	beat()
	loop.Every(ctx, interval, beat)
}

// InboundForEmail resolves a client's inbound from the applied snapshot,
// so traffic attribution never needs the database.
func (s *NodeSyncService) InboundForEmail(email string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.emailIndex == nil && s.current != nil {
		s.emailIndex = indexSnapshotEmails(s.current)
	}
	id, ok := s.emailIndex[email]
	return id, ok
}

// CurrentLimits returns email -> limitIp from the applied snapshot.
func (s *NodeSyncService) CurrentLimits() (map[string]int, error) {
	snapshot := s.Current()
	if snapshot == nil {
		return map[string]int{}, nil
	}
	return iplimit.LimitsFromInbounds(snapshot.Inbounds, nil)
}

func indexSnapshotEmails(snapshot *SharedAccountsSnapshot) map[string]int {
	index := map[string]int{}
	for _, in := range snapshot.Inbounds {
		for _, stat := range in.ClientStats {
			index[stat.Email] = in.Id
		}
		if clients, err := inbound.ParseInboundClients(in.Settings); err == nil {
			for _, c := range clients {
				if c.Email != "" {
					index[c.Email] = in.Id
				}
			}
		}
	}
	return index
}

// ErrNoSnapshot: a worker has not applied any shared snapshot yet.
var ErrNoSnapshot = errors.New("no shared snapshot applied yet")

// CurrentConfig is the Xray config of the applied snapshot.
func (s *NodeSyncService) CurrentConfig() (*xray.Config, error) {
	snapshot := s.Current()
	if snapshot == nil {
		return nil, ErrNoSnapshot
	}
	return xrayconf.Render(snapshot.XrayTemplate, snapshot.Inbounds)
}
