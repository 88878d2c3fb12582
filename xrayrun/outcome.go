package xrayrun

import (
	"sync/atomic"
	"time"
)

// ApplyOutcome is whether the last apply of the stored state reached Xray.
// Applies are serialized and each reads the whole stored state, so the last
// outcome after a write also covers that write.
type ApplyOutcome struct {
	Applied bool      `json:"applied"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
}

type outcomeBox = atomic.Pointer[ApplyOutcome]

func (s *XrayService) noteApply(err error) {
	o := &ApplyOutcome{Applied: err == nil, At: time.Now()}
	switch {
	case err != nil:
		o.Reason = err.Error()
	case s.manuallyStopped.Load():
		o.Applied, o.Reason = false, "xray is stopped; the change applies when it starts"
	}
	s.lastApply.Store(o)
}

// LastApply is the outcome of the most recent apply; before any apply it
// reports applied (nothing is pending).
func (s *XrayService) LastApply() ApplyOutcome {
	if o := s.lastApply.Load(); o != nil {
		return *o
	}
	return ApplyOutcome{Applied: true}
}
