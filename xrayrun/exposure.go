package xrayrun

import (
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xrayconf/exposure"
)

// ErrSnapshotExposed: a worker's snapshot breaks the exposure rule, so it
// is refused and the running config stays.
var ErrSnapshotExposed = errors.New("snapshot refused: it breaks the Xray exposure rule")

// guard is the last line before a config reaches Xray: every write is
// refused earlier when it breaks the exposure rule, but rows carried over
// from 3x-ui (or written before the rule existed) may still break it.
// Those parts are neutralized, never run exposed, and logged once per
// distinct set of violations so an admin can fix the template or inbound.
func (s *Runner) guard(cfg *xray.Config) *xray.Config {
	if cfg == nil {
		return nil
	}
	safe, found := exposure.Scan(cfg, exposure.DefaultOptions())
	report := describe(found)
	s.hashMu.Lock()
	changed := report != s.exposureReport
	s.exposureReport = report
	s.hashMu.Unlock()
	if len(found) == 0 {
		return cfg
	}
	if changed {
		log.Printf("xray: the stored config breaks the exposure rule; running it without: %s", report)
	}
	return safe
}

// refuseExposed: a snapshot a worker is about to run must pass the rule
// as it is; the worker keeps its last good config rather than guess.
func refuseExposed(cfg *xray.Config) error {
	if found := exposure.Check(cfg, exposure.DefaultOptions()); len(found) > 0 {
		return fmt.Errorf("%w: %s", ErrSnapshotExposed, describe(found))
	}
	return nil
}

// VerifySnapshot renders snapshot as ApplySharedSnapshot would and checks
// it against the exposure rule, without touching Xray.
func (s *Runner) VerifySnapshot(snapshot *cluster.Snapshot) error {
	cfg, err := s.snapshots.render(snapshot)
	if err != nil {
		return err
	}
	return refuseExposed(cfg)
}

func describe(found []exposure.Violation) string {
	parts := make([]string, len(found))
	for i, v := range found {
		parts[i] = v.Error()
	}
	return strings.Join(parts, "; ")
}
