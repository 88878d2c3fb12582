package loop

import (
	"context"
	"time"
)

// EveryOrWake is Every that also runs fn as soon as wake delivers; the
// interval restarts after each run, so a wake-up does not cause an extra
// run right after.
func EveryOrWake(ctx context.Context, interval time.Duration, wake <-chan struct{}, fn func()) {
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-wake:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
		fn()
		timer.Reset(interval)
	}
}
