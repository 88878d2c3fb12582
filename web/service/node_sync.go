package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/cluster/nodepush"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/iplimit"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xrayconf"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// NodeSyncService is the plan's name for the worker's sync engine,
// cluster.Syncer, which does the work; this shell keeps the plan's
// constructors and fields (its tests build a service from them) and the
// readers that need the stores: the snapshot from the database, the
// client index and the Xray config of the applied snapshot.
type NodeSyncService struct {
	// The ports the plan's tests set directly; the engine is built from
	// them on first use unless a constructor built it.
	cachePath       string
	lastSeenVersion int64
	loadVersion     func() (int64, error)
	loadSnapshot    func(int64) (*SharedAccountsSnapshot, error)
	loadDelta       func(base *SharedAccountsSnapshot, version int64) (*SharedAccountsSnapshot, bool, error)
	applySnapshot   func(*SharedAccountsSnapshot) error
	verifySnapshot  func(*SharedAccountsSnapshot) error
	sealKey         func() (string, error)
	recordState     func(*model.NodeState) error

	buildOnce sync.Once
	syncer    *cluster.Syncer

	mu         sync.Mutex
	indexedFor *SharedAccountsSnapshot // the snapshot emailIndex was built from
	emailIndex map[string]int
}

// NewNodeSyncService wires a sync loop that applies snapshots to xraySvc.
func NewNodeSyncService(db *database.Handle, xraySvc *xrayrun.Runner, node config.NodeConfig, cachePath string) *NodeSyncService {
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
	Settings  *settings.Store
	Inbounds  *inbound.Store
	Apply     func(*SharedAccountsSnapshot) error
	// Verify, when set, is asked before a snapshot is cached or applied.
	Verify func(*SharedAccountsSnapshot) error
	// Describe, when set, fills runtime facts into each status row.
	Describe func(*model.NodeState)
	// Observed, when set, times each sync that found a new version.
	Observed func(took time.Duration, err error)
}

// NewNodeSyncServiceWith wires a sync loop from explicit parts; every
// database read goes through d.DB.
func NewNodeSyncServiceWith(d NodeSyncDeps) *NodeSyncService {
	ports := cluster.SyncPorts{CachePath: d.CachePath, Node: d.Node, Instance: cluster.NodeInstance(),
		Apply: d.Apply, Verify: d.Verify, Describe: d.Describe, Observed: d.Observed}
	ports.LoadVersion = func() (int64, error) {
		conn, err := d.DB.Reconnect()
		if err != nil {
			return 0, err
		}
		return database.GetSharedAccountsVersion(conn)
	}
	ports.LoadSnapshot = func(version int64) (*SharedAccountsSnapshot, error) {
		return LoadSnapshotFromDB(d.DB, d.Settings, d.Inbounds, version)
	}
	ports.LoadDelta = func(base *SharedAccountsSnapshot, version int64) (*SharedAccountsSnapshot, bool, error) {
		conn := d.DB.Current()
		if conn == nil {
			return nil, false, errors.New("database not open")
		}
		return LoadSnapshotDelta(conn, base, version)
	}
	ports.SealKey = func() (string, error) {
		conn, err := d.DB.Reconnect()
		if err != nil {
			return "", err
		}
		return nodepush.LoadSecret(conn)
	}
	ports.RecordState = func(state *model.NodeState) error {
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
	return &NodeSyncService{syncer: cluster.NewSyncer(ports, 0)}
}

// engine is the cluster.Syncer doing the work, built from the plan's
// fields when the service was made as a struct literal.
func (s *NodeSyncService) engine() *cluster.Syncer {
	s.buildOnce.Do(func() {
		if s.syncer != nil {
			return
		}
		s.syncer = cluster.NewSyncer(cluster.SyncPorts{
			CachePath: s.cachePath, LoadVersion: s.loadVersion, LoadSnapshot: s.loadSnapshot,
			LoadDelta: s.loadDelta, Apply: s.applySnapshot, Verify: s.verifySnapshot,
			SealKey: s.sealKey, RecordState: s.recordState,
		}, s.lastSeenVersion)
	})
	return s.syncer
}

// LoadSnapshotFromDB reads the shared accounts as of (at least) version.
func LoadSnapshotFromDB(db *database.Handle, settings *settings.Store, inbounds *inbound.Store, version int64) (*SharedAccountsSnapshot, error) {
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
func (s *NodeSyncService) Current() *SharedAccountsSnapshot { return s.engine().Current() }

// LastSeenVersion is the shared version applied last.
func (s *NodeSyncService) LastSeenVersion() int64 { return s.engine().LastSeenVersion() }

// BootstrapFromCache applies the cached snapshot, if there is one.
func (s *NodeSyncService) BootstrapFromCache() error { return s.engine().BootstrapFromCache() }

// SyncOnce applies the shared accounts when their version has moved.
func (s *NodeSyncService) SyncOnce() error { return s.engine().SyncOnce() }

// SyncCounts is how many syncs read the full snapshot and how many only
// the change log since the process started.
func (s *NodeSyncService) SyncCounts() (full, delta int64) { return s.engine().SyncCounts() }

// Run bootstraps from the cache, then syncs every interval until ctx ends.
func (s *NodeSyncService) Run(ctx context.Context, interval time.Duration) {
	s.engine().Run(ctx, interval)
}

// Prepare applies the cached snapshot, then tries one sync.
func (s *NodeSyncService) Prepare() { s.engine().Prepare() }

// Follow syncs every interval, or at once after Wake, until ctx ends.
func (s *NodeSyncService) Follow(ctx context.Context, interval time.Duration) {
	s.engine().Follow(ctx, interval)
}

// Wake makes the sync loop poll now (a push from the master).
func (s *NodeSyncService) Wake() { s.engine().Wake() }

// RunHeartbeatLoop records a master's status every interval.
func (s *NodeSyncService) RunHeartbeatLoop(ctx context.Context, interval time.Duration) {
	s.engine().RunHeartbeatLoop(ctx, interval)
}

// InboundForEmail resolves a client's inbound from the applied snapshot,
// so traffic attribution never needs the database.
func (s *NodeSyncService) InboundForEmail(email string) (int, bool) {
	current := s.Current()
	s.mu.Lock()
	defer s.mu.Unlock()
	if current != s.indexedFor {
		s.indexedFor, s.emailIndex = current, nil
		if current != nil {
			s.emailIndex = indexSnapshotEmails(current)
		}
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
