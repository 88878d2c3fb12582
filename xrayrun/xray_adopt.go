package xrayrun

import "log"

// AdoptRunning takes over an Xray that a previous panel left running (after
// a crash, a restart or an upgrade), so nobody's connection drops: its
// counters are drained into the traffic sink (when one is set; otherwise
// the first traffic tick reads them, as Xray keeps them until read) and
// the next apply brings its config up to date by diff.
func (s *Runner) AdoptRunning() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok, err := s.proc.Adopt()
	if err != nil {
		log.Printf("xray: %v", err)
	}
	if !ok {
		return false
	}
	log.Printf("xray: adopted the running xray (pid %d)", s.proc.Pid())
	s.manuallyStopped.Store(false)
	s.resetAPILocked()
	if err := s.drainLocked(); err != nil {
		log.Printf("xray: drain of the adopted xray: %v", err)
	}
	return true
}

// StartOrAdopt adopts a running Xray and applies the desired config to it
// live, or starts Xray when there is none.
func (s *Runner) StartOrAdopt() error {
	if !s.IsXrayRunning() && !s.AdoptRunning() {
		return s.Start()
	}
	cfg, err := s.desiredConfig()
	if err != nil {
		return err
	}
	return s.ApplyConfig(cfg)
}
