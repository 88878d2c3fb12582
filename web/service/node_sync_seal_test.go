package service

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// sealedWorker is a sync loop over an in-memory shared state, with the
// real exposure check (xrayrun.VerifySnapshot) and a cluster secret the
// test controls (dbAway makes reading it fail, as with the database down).
type sealedWorker struct {
	svc     *NodeSyncService
	applied []*SharedAccountsSnapshot
	states  []*model.NodeState
	dbAway  bool
}

func newSealedWorker(t *testing.T, cachePath string, shared *SharedAccountsSnapshot) *sealedWorker {
	w := &sealedWorker{}
	x := xrayrun.NewRunner(nil, nil, nil)
	w.svc = &NodeSyncService{
		cachePath:    cachePath,
		loadVersion:  func() (int64, error) { return shared.Version, nil },
		loadSnapshot: func(int64) (*SharedAccountsSnapshot, error) { c := *shared; return &c, nil },
		applySnapshot: func(s *SharedAccountsSnapshot) error {
			w.applied = append(w.applied, s)
			return nil
		},
		verifySnapshot: x.VerifySnapshot,
		sealKey: func() (string, error) {
			if w.dbAway {
				return "", errors.New("database unreachable")
			}
			return "cluster-secret", nil
		},
		recordState: func(s *model.NodeState) error { w.states = append(w.states, s); return nil },
	}
	return w
}

func sharedState(version int64, template string) *SharedAccountsSnapshot {
	in := &model.Inbound{Id: 1, Tag: "inbound-8443", Enable: true, Port: 8443, Protocol: model.VLESS,
		Settings: `{"decryption":"none","clients":[{"id":"6f9d1c4e-0000-4000-8000-000000000001","email":"a@x","enable":true}]}`}
	return &SharedAccountsSnapshot{Version: version, XrayTemplate: template, Inbounds: []*model.Inbound{in}}
}

// Issue 22 finding 9: a shared-cache.json changed on the worker (a client
// added, the API published) is refused at boot while the database can be
// asked for the cluster secret; nothing of it is applied, the refusal is
// reported, and the sync that follows applies the database's state.
func TestTamperedSnapshotCacheIsRefused(t *testing.T) {
	t.Parallel() // no database: the worker reads a test cache file of its own
	cachePath := filepath.Join(t.TempDir(), "shared-cache.json")
	shared := sharedState(7, settings.DefaultXrayTemplate)
	first := newSealedWorker(t, cachePath, shared)
	if err := first.svc.SyncOnce(); err != nil {
		t.Fatal(err)
	}
	cached, err := LoadSharedAccountsSnapshot(cachePath)
	if err != nil || cached.Seal == "" {
		t.Fatalf("cache not sealed: %v %+v", err, cached)
	}
	// The untouched cache passes its seal on the next boot.
	again := newSealedWorker(t, cachePath, shared)
	if err := again.svc.BootstrapFromCache(); err != nil || len(again.applied) != 1 {
		t.Fatalf("untouched cache: err=%v applied=%d", err, len(again.applied))
	}

	cached.Inbounds[0].Settings = strings.Replace(cached.Inbounds[0].Settings, `"clients":[`,
		`"clients":[{"id":"6f9d1c4e-0000-4000-8000-0000000000ff","email":"intruder@x","enable":true},`, 1)
	if err := SaveSharedAccountsSnapshot(cachePath, cached); err != nil {
		t.Fatal(err)
	}
	booted := newSealedWorker(t, cachePath, shared)
	if err := booted.svc.BootstrapFromCache(); err != nil {
		t.Fatal(err)
	}
	if len(booted.applied) != 0 {
		t.Fatal("a tampered cache was applied")
	}
	if n := len(booted.states); n == 0 || !strings.Contains(booted.states[n-1].LastError, "cached snapshot refused") {
		t.Fatalf("refusal not reported in node_states: %+v", booted.states)
	}
	if err := booted.svc.SyncOnce(); err != nil {
		t.Fatal(err)
	}
	if len(booted.applied) != 1 || strings.Contains(booted.applied[0].Inbounds[0].Settings, "intruder") {
		t.Fatalf("the sync after the refusal did not apply the database's state: %+v", booted.applied)
	}
}

// With the database away the seal cannot be checked; the cache still may
// not run a config that breaks the exposure rule.
func TestCacheBreakingTheExposureRuleIsRefusedOffline(t *testing.T) {
	t.Parallel() // no database: the worker reads a test cache file of its own
	cachePath := filepath.Join(t.TempDir(), "shared-cache.json")
	exposed := strings.Replace(settings.DefaultXrayTemplate, `"tag": "api",`, fmt.Sprintf(`"tag": "api", "listen": "0.0.0.0:%d",`, 10085), 1)
	if exposed == settings.DefaultXrayTemplate {
		t.Fatal("template edit did not apply")
	}
	if err := SaveSharedAccountsSnapshot(cachePath, sharedState(3, exposed)); err != nil {
		t.Fatal(err)
	}
	w := newSealedWorker(t, cachePath, sharedState(3, settings.DefaultXrayTemplate))
	w.dbAway = true
	if err := w.svc.BootstrapFromCache(); err != nil {
		t.Fatal(err)
	}
	if len(w.applied) != 0 {
		t.Fatal("a cache publishing the API was applied")
	}
	if n := len(w.states); n == 0 || !strings.Contains(w.states[n-1].LastError, "api.listen") {
		t.Fatalf("refusal does not name api.listen: %+v", w.states)
	}
	// A good cache still boots with the database away.
	if err := SaveSharedAccountsSnapshot(cachePath, sharedState(3, settings.DefaultXrayTemplate)); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.BootstrapFromCache(); err != nil || len(w.applied) != 1 {
		t.Fatalf("good cache offline: err=%v applied=%d", err, len(w.applied))
	}
}

// A snapshot read from the database that breaks the rule is neither
// cached nor applied; the previous one stays.
func TestSyncRefusesASnapshotBreakingTheExposureRule(t *testing.T) {
	t.Parallel() // no database: the worker reads a test cache file of its own
	cachePath := filepath.Join(t.TempDir(), "shared-cache.json")
	shared := sharedState(1, settings.DefaultXrayTemplate)
	w := newSealedWorker(t, cachePath, shared)
	if err := w.svc.SyncOnce(); err != nil {
		t.Fatal(err)
	}
	*shared = *sharedState(2, strings.Replace(settings.DefaultXrayTemplate, `"inboundTag": ["api"]`, `"inboundTag": ["inbound-8443"]`, 1))
	err := w.svc.SyncOnce()
	if !errors.Is(err, xrayrun.ErrSnapshotExposed) || !strings.Contains(err.Error(), "routing.rules[0]") {
		t.Fatalf("SyncOnce = %v, want a refusal naming routing.rules[0]", err)
	}
	if len(w.applied) != 1 || w.svc.LastSeenVersion() != 1 {
		t.Fatalf("applied %d snapshots, version %d; want the first kept", len(w.applied), w.svc.LastSeenVersion())
	}
	if cached, err := LoadSharedAccountsSnapshot(cachePath); err != nil || cached.Version != 1 {
		t.Fatalf("cache overwritten by the refused snapshot: %v %+v", err, cached)
	}
}
