package service

import (
	"path/filepath"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/database/model"
)

func TestLoadAndSaveSharedAccountsSnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared-cache.json")
	snapshot := &SharedAccountsSnapshot{
		Version: 2,
		Inbounds: []*model.Inbound{
			{Id: 1, Tag: "inbound-443", Enable: true, Port: 443},
		},
	}

	if err := SaveSharedAccountsSnapshot(path, snapshot); err != nil {
		t.Fatalf("SaveSharedAccountsSnapshot error: %v", err)
	}

	loaded, err := LoadSharedAccountsSnapshot(path)
	if err != nil {
		t.Fatalf("LoadSharedAccountsSnapshot error: %v", err)
	}
	if loaded.Version != 2 || len(loaded.Inbounds) != 1 {
		t.Fatalf("unexpected snapshot round-trip: %+v", loaded)
	}
}

func TestSyncOnceSkipsApplyWhenVersionUnchanged(t *testing.T) {
	applyCalls := 0
	svc := &NodeSyncService{
		cachePath:   filepath.Join(t.TempDir(), "shared-cache.json"),
		loadVersion: func() (int64, error) { return 3, nil },
		loadSnapshot: func(int64) (*SharedAccountsSnapshot, error) {
			t.Fatal("loadSnapshot should not run when version is unchanged")
			return nil, nil
		},
		applySnapshot: func(*SharedAccountsSnapshot) error {
			applyCalls++
			return nil
		},
		lastSeenVersion: 3,
	}

	if err := svc.SyncOnce(); err != nil {
		t.Fatalf("SyncOnce error: %v", err)
	}
	if applyCalls != 0 {
		t.Fatalf("expected applySnapshot to be skipped, got %d calls", applyCalls)
	}
}

func TestSyncOnceRefreshesCacheAndAppliesSnapshot(t *testing.T) {
	cachePath := filepath.Join(t.TempDir(), "shared-cache.json")
	applyCalls := 0
	svc := &NodeSyncService{
		cachePath:   cachePath,
		loadVersion: func() (int64, error) { return 4, nil },
		loadSnapshot: func(version int64) (*SharedAccountsSnapshot, error) {
			return &SharedAccountsSnapshot{
				Version: version,
				Inbounds: []*model.Inbound{
					{Id: 7, Tag: "worker-8443", Enable: true, Port: 8443},
				},
			}, nil
		},
		applySnapshot: func(snapshot *SharedAccountsSnapshot) error {
			applyCalls++
			if snapshot.Version != 4 {
				t.Fatalf("expected snapshot version 4, got %d", snapshot.Version)
			}
			return nil
		},
	}

	if err := svc.SyncOnce(); err != nil {
		t.Fatalf("SyncOnce error: %v", err)
	}
	if applyCalls != 1 {
		t.Fatalf("expected one apply call, got %d", applyCalls)
	}

	loaded, err := LoadSharedAccountsSnapshot(cachePath)
	if err != nil {
		t.Fatalf("LoadSharedAccountsSnapshot error: %v", err)
	}
	if loaded.Version != 4 {
		t.Fatalf("expected cached version 4, got %d", loaded.Version)
	}
}

func TestBootstrapFromCacheAppliesCachedSnapshot(t *testing.T) {
	cachePath := filepath.Join(t.TempDir(), "shared-cache.json")
	if err := SaveSharedAccountsSnapshot(cachePath, &SharedAccountsSnapshot{
		Version: 5,
		Inbounds: []*model.Inbound{
			{Id: 9, Tag: "cached-9443", Enable: true, Port: 9443},
		},
	}); err != nil {
		t.Fatalf("SaveSharedAccountsSnapshot error: %v", err)
	}

	applyCalls := 0
	svc := &NodeSyncService{
		cachePath: cachePath,
		applySnapshot: func(snapshot *SharedAccountsSnapshot) error {
			applyCalls++
			if snapshot.Version != 5 {
				t.Fatalf("expected cached version 5, got %d", snapshot.Version)
			}
			return nil
		},
	}

	if err := svc.BootstrapFromCache(); err != nil {
		t.Fatalf("BootstrapFromCache error: %v", err)
	}
	if applyCalls != 1 {
		t.Fatalf("expected one cached apply, got %d", applyCalls)
	}
}
