// Package xrayrun runs the local Xray: starts it from a rendered config,
// applies changes live over its gRPC API (restarting only when it must), and
// drains its traffic counters.
package xrayrun

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xray/users"
	"github.com/mhsanaei/3x-ui/v2/xrayconf"
)

// TrafficSink receives counters read (and reset) from Xray.
type TrafficSink func(inbounds []*xray.Traffic, clients []*xray.ClientTraffic) error

// Runner owns the local Xray process: it builds its config, applies
// changes live over the gRPC API and restarts only when it must.
type Runner struct {
	settings *settings.Store
	inbounds *inbound.Store
	proc     *xray.Process

	mu              sync.Mutex // serialises apply, restart and drain
	api             *xray.APIClient
	apiAddr         string
	sink            TrafficSink
	source          func() (*xray.Config, error)
	carryInbounds   []*xray.Traffic
	carryClients    []*xray.ClientTraffic
	lastApply       outcomeBox
	manuallyStopped atomic.Bool
	online          onlineClients
	liveOps         atomic.Int64 // API operations applied, for tests and status
	restarts        atomic.Int64 // restarts this service performed
	// overlays hold live client changes not yet folded into the config;
	// materializeTimer folds them (see xray_clients.go).
	overlays         map[string]*clientOverlay
	materializeTimer *time.Timer
	snapshots        snapshotRenderer // a worker's snapshot renders, per inbound
	hashMu           sync.Mutex
	hashedConfig     *xray.Config // the config hash was computed for
	hash             string
	exposureReport   string // the last neutralization logged (see guard)
	// Knobs are test hooks; production leaves them empty.
	Knobs Knobs
}

// Knobs let tests fail one write's live apply.
type Knobs struct {
	// ClientApply, when set, runs before each per-client apply; an error
	// fails that apply as a refusal by Xray would.
	ClientApply func(changes []inbound.ClientChange) error
}

// NewRunner wires the service; proc is the supervised Xray process.
// Drained counters are dropped and the config comes from the database
// (see NewXrayServiceWith).
func NewRunner(settings *settings.Store, inbounds *inbound.Store, proc *xray.Process) *Runner {
	return NewRunnerWith(settings, inbounds, proc, XrayDeps{})
}

// XrayDeps are where an Xray service sends counters and takes its config
// from, fixed at construction.
type XrayDeps struct {
	// Sink gets drained counters: the node's traffic journal, in every
	// mode (nil: dropped, for tools and tests that count nothing).
	Sink TrafficSink
	// ConfigSource, when set, is where Start and RestartXray take the
	// config from (a worker builds it from its snapshot, never from the
	// database); nil: the database.
	ConfigSource func() (*xray.Config, error)
}

// NewRunnerWith is NewRunner with deps.
func NewRunnerWith(settings *settings.Store, inbounds *inbound.Store, proc *xray.Process, deps XrayDeps) *Runner {
	return &Runner{settings: settings, inbounds: inbounds, proc: proc, sink: deps.Sink, source: deps.ConfigSource}
}

// Settings is the settings store the config template comes from.
func (s *Runner) Settings() *settings.Store { return s.settings }

// Inbounds is the inbound store the config is rendered from.
func (s *Runner) Inbounds() *inbound.Store { return s.inbounds }

// GetXrayConfig is the template plus the enabled inbounds in the database.
func (s *Runner) GetXrayConfig() (*xray.Config, error) {
	inbounds, err := s.inbounds.GetAllInbounds()
	if err != nil {
		return nil, err
	}
	return s.BuildConfigFromInbounds(inbounds)
}

// BuildConfigFromInbounds renders the stored template with the given inbounds.
func (s *Runner) BuildConfigFromInbounds(inbounds []*model.Inbound) (*xray.Config, error) {
	template, err := s.settings.GetXrayConfigTemplate()
	if err != nil {
		return nil, err
	}
	return xrayconf.Render(template, inbounds)
}

func (s *Runner) desiredConfig() (*xray.Config, error) {
	if s.source != nil {
		return s.source()
	}
	return s.GetXrayConfig()
}

// Start builds the config (from the database by default) and starts Xray.
func (s *Runner) Start() error {
	cfg, err := s.desiredConfig()
	if err != nil {
		return err
	}
	return s.RestartXrayWithConfig(cfg, true)
}

// ApplyFromDatabase brings the running Xray in line with the database.
func (s *Runner) ApplyFromDatabase() error {
	cfg, err := s.GetXrayConfig()
	if err == nil {
		err = s.ApplyConfig(cfg)
	}
	s.noteApply(err)
	return err
}

// RestartXrayWithConfig restarts Xray with cfg, draining counters first. When
// isForce is false and cfg already runs, nothing happens.
func (s *Runner) RestartXrayWithConfig(cfg *xray.Config, isForce bool) error {
	cfg = s.guard(cfg)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restartLocked(cfg, isForce)
}

func (s *Runner) restartLocked(cfg *xray.Config, isForce bool) error {
	s.manuallyStopped.Store(false)
	s.materializeLocked()
	if s.proc.IsRunning() {
		if !isForce && s.proc.Config().Equals(cfg) {
			return nil
		}
		if err := s.drainLocked(); err != nil {
			log.Printf("xray: drain before restart failed: %v", err)
		}
	}
	s.restarts.Add(1)
	s.resetAPILocked()
	// Restart (not Stop+Start) so the supervisor cannot slip a restart in.
	return s.proc.Restart(cfg)
}

// RestartXray restarts with the database config; force restarts even when
// nothing changed.
func (s *Runner) RestartXray(force bool) error {
	cfg, err := s.desiredConfig()
	if err != nil {
		return err
	}
	return s.RestartXrayWithConfig(cfg, force)
}

// StopXray drains counters and stops Xray until the next start or restart.
func (s *Runner) StopXray() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.manuallyStopped.Store(true)
	if !s.proc.IsRunning() {
		return nil
	}
	if err := s.drainLocked(); err != nil {
		log.Printf("xray: drain before stop failed: %v", err)
	}
	return s.proc.Stop()
}

// IsXrayRunning reports whether the Xray process is up.
func (s *Runner) IsXrayRunning() bool { return s.proc.IsRunning() }

// IsManuallyStopped is true after StopXray until the next start.
func (s *Runner) IsManuallyStopped() bool { return s.manuallyStopped.Load() }

// GetXrayVersion is the Xray binary's version.
func (s *Runner) GetXrayVersion() string { return s.proc.Version() }

// GetXrayState is "running", "stop" or "error" plus the last error message.
func (s *Runner) GetXrayState() (string, string) {
	if s.proc.IsRunning() {
		return "running", ""
	}
	if msg := s.proc.LastError(); msg != "" && !s.manuallyStopped.Load() {
		return "error", msg
	}
	return "stop", ""
}

// Logs returns the last n lines Xray printed.
func (s *Runner) Logs(n int) []string { return s.proc.LastLogs(n) }

// Process exposes the supervised process (pid, uptime) for status and tests.
func (s *Runner) Process() *xray.Process { return s.proc }

// Restarts counts the restarts this service performed.
func (s *Runner) Restarts() int64 { return s.restarts.Load() }

// LiveOperations counts API calls applied instead of restarts.
func (s *Runner) LiveOperations() int64 { return s.liveOps.Load() }

// API returns a client for the running Xray's gRPC API.
func (s *Runner) API() (*xray.APIClient, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apiLocked()
}

var errNoAPI = errors.New("xray is not running with an api inbound")

func (s *Runner) apiLocked() (*xray.APIClient, error) {
	addr := s.proc.APIAddress()
	if addr == "" || !s.proc.IsRunning() {
		return nil, errNoAPI
	}
	if s.api == nil || s.apiAddr != addr {
		s.resetAPILocked()
		s.api = xray.NewAPIClient(addr)
		s.apiAddr = addr
	}
	return s.api, nil
}

func (s *Runner) resetAPILocked() {
	if s.api != nil {
		s.api.Close()
	}
	s.api, s.apiAddr = nil, ""
}

// DrainTraffic reads and resets Xray's counters into the traffic sink.
func (s *Runner) DrainTraffic() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.drainLocked()
}

func (s *Runner) drainLocked() error {
	if s.sink == nil || !s.proc.IsRunning() {
		return nil
	}
	api, err := s.apiLocked()
	if err != nil {
		return err
	}
	inbounds, clients, err := api.QueryTraffic(true)
	if err != nil {
		return err
	}
	// Counters are already reset in Xray: keep a failed batch in memory and
	// add it to the next one instead of losing it.
	inbounds = mergeTraffic(append(s.carryInbounds, inbounds...))
	clients = mergeClientTraffic(append(s.carryClients, clients...))
	s.carryInbounds, s.carryClients = nil, nil
	// The sink runs even with no traffic: on a single node it also
	// disables expired clients and renews them.
	if err := s.sink(inbounds, clients); err != nil {
		s.carryInbounds, s.carryClients = inbounds, clients
		return err
	}
	return nil
}

func mergeTraffic(in []*xray.Traffic) []*xray.Traffic {
	index := map[string]*xray.Traffic{}
	out := make([]*xray.Traffic, 0, len(in))
	for _, t := range in {
		key := t.Tag
		if t.IsOutbound {
			key = "out>" + key
		}
		if prev, ok := index[key]; ok {
			prev.Up += t.Up
			prev.Down += t.Down
			continue
		}
		c := *t
		index[key] = &c
		out = append(out, &c)
	}
	return out
}

func mergeClientTraffic(in []*xray.ClientTraffic) []*xray.ClientTraffic {
	index := map[string]*xray.ClientTraffic{}
	out := make([]*xray.ClientTraffic, 0, len(in))
	for _, t := range in {
		if prev, ok := index[t.Email]; ok {
			prev.Up += t.Up
			prev.Down += t.Down
			continue
		}
		c := *t
		index[t.Email] = &c
		out = append(out, &c)
	}
	return out
}

// ApplySharedSnapshot rebuilds Xray from a snapshot without touching the
// database, applying the difference live.
func (s *Runner) ApplySharedSnapshot(snapshot *cluster.Snapshot) error {
	cfg, err := s.snapshots.render(snapshot)
	if err == nil {
		err = refuseExposed(cfg)
	}
	if err == nil {
		err = s.ApplyConfig(cfg)
	}
	s.noteApply(err)
	return err
}

// ConfigHash identifies the config Xray runs now ("" when none). Clients
// are hashed in email order: live changes may leave a re-enabled client
// at the end of the list while a fresh render keeps its stored position,
// and the two configs serve the same users.
func (s *Runner) ConfigHash() string {
	cfg := s.RunningConfig()
	if cfg == nil {
		return ""
	}
	s.hashMu.Lock()
	defer s.hashMu.Unlock()
	if cfg == s.hashedConfig {
		return s.hash
	}
	canon := *cfg
	canon.InboundConfigs = append([]xray.InboundConfig(nil), cfg.InboundConfigs...)
	for i := range canon.InboundConfigs {
		canon.InboundConfigs[i].Settings = sortedClients(canon.InboundConfigs[i].Settings)
	}
	data, err := json.Marshal(&canon)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	s.hashedConfig, s.hash = cfg, hex.EncodeToString(sum[:])
	return s.hash
}

// sortedClients returns settings with its clients ordered by email.
func sortedClients(raw json.RawMessage) json.RawMessage {
	settings, list, ok, err := users.DecodeObjects(raw)
	if err != nil || !ok {
		return raw
	}
	email := func(v any) string {
		m, _ := v.(map[string]any)
		e, _ := m["email"].(string)
		return e
	}
	sort.SliceStable(list, func(a, b int) bool { return email(list[a]) < email(list[b]) })
	out, err := json.Marshal(settings)
	if err != nil {
		return raw
	}
	return out
}
