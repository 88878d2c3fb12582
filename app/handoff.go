package app

import (
	"errors"
	"fmt"
)

// StopLeavingXray shuts the panel down like Stop but leaves Xray serving
// (a panel restart or upgrade): its counters are drained into the journal
// and flushed first, and the next panel adopts it.
func (s *Server) StopLeavingXray() error {
	errs := s.stopServingAndLoops()
	if s.app != nil && s.app.Xray.IsXrayRunning() {
		if err := s.app.Xray.DrainTraffic(); err != nil {
			errs = append(errs, fmt.Errorf("drain traffic: %w", err))
		}
	}
	if s.node != nil {
		s.node.finish()
	}
	return errors.Join(errs...)
}
