// Package loop runs periodic work tied to a context.
package loop

import (
	"context"
	"time"
)

// Every calls fn once per interval until ctx ends. It does not call fn
// right away: callers that want an immediate first run call fn first.
func Every(ctx context.Context, interval time.Duration, fn func()) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			fn()
		}
	}
}
