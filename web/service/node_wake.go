package service

// Wake makes the sync loop poll now (a push from the master); it never
// blocks, and wake-ups during a sync coalesce into one more sync.
func (s *NodeSyncService) Wake() {
	select {
	case s.wakeChan() <- struct{}{}:
	default:
	}
}

func (s *NodeSyncService) wakeChan() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
	}
	return s.wake
}
