package service

import (
	"context"
	"log"
	"time"

	"github.com/mhsanaei/3x-ui/v2/util/loop"
)

// Prepare builds Xray before the node serves: it applies the cached
// snapshot, then tries one sync. Run is Prepare followed by Follow.
func (s *NodeSyncService) Prepare() {
	if err := s.BootstrapFromCache(); err != nil {
		log.Printf("node sync: bootstrap from cache: %v", err)
	}
	if err := s.SyncOnce(); err != nil {
		log.Printf("node sync: %v", err)
	}
}

// Follow syncs every interval until ctx ends.
func (s *NodeSyncService) Follow(ctx context.Context, interval time.Duration) {
	loop.Every(ctx, interval, func() {
		if err := s.SyncOnce(); err != nil {
			log.Printf("node sync: %v", err)
		}
	})
}
