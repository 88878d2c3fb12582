package service

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// A worker reads a snapshot's keys the way Xray does (docs/security.md,
// "Object keys"): a fallback to the API port spelled "Fallbacks", and two
// "dest" keys for one fallback, are refused, and the last good snapshot
// stays applied.
func TestSyncRefusesASnapshotWithKeySpellings(t *testing.T) {
	for name, settingsJSON := range map[string]string{
		"Fallbacks":   `{"decryption":"none","clients":[{"id":"6f9d1c4e-0000-4000-8000-000000000001","email":"a@x","enable":true}],"Fallbacks":[{"dest":62789}]}`,
		"second dest": `{"decryption":"none","clients":[{"id":"6f9d1c4e-0000-4000-8000-000000000001","email":"a@x","enable":true}],"fallbacks":[{"dest":8080,"DEST":62789}]}`,
	} {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			shared := sharedState(1, settings.DefaultXrayTemplate)
			w := newSealedWorker(t, filepath.Join(t.TempDir(), "shared-cache.json"), shared)
			if err := w.svc.SyncOnce(); err != nil {
				t.Fatal(err)
			}
			*shared = *sharedState(2, settings.DefaultXrayTemplate)
			shared.Inbounds[0].Settings = settingsJSON
			err := w.svc.SyncOnce()
			if !errors.Is(err, xrayrun.ErrSnapshotExposed) || !strings.Contains(err.Error(), "settings.fallbacks[0].") {
				t.Fatalf("SyncOnce = %v, want a refusal naming settings.fallbacks[0]", err)
			}
			if len(w.applied) != 1 || w.svc.LastSeenVersion() != 1 {
				t.Fatalf("applied %d snapshots, version %d; want the first kept", len(w.applied), w.svc.LastSeenVersion())
			}
		})
	}
}
