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

func (s *Runner) noteApply(err error) {
	o := s.Outcome(true, err)
	s.lastApply.Store(&o)
}

// Outcome is what one write's live apply did: ran says whether the write
// triggered an apply at all, err is that apply's result (the value the
// apply functions return, so concurrent writes never see each other's).
func (s *Runner) Outcome(ran bool, err error) ApplyOutcome {
	o := ApplyOutcome{Applied: err == nil, At: time.Now()}
	switch {
	case err != nil:
		o.Reason = err.Error()
	case ran && s.manuallyStopped.Load():
		o.Applied, o.Reason = false, "xray is stopped; the change applies when it starts"
	}
	return o
}

// LastApply is the outcome of the most recent apply, whoever made it (the
// node's state); before any apply it reports applied. A write reports its
// own apply through Outcome instead.
func (s *Runner) LastApply() ApplyOutcome {
	if o := s.lastApply.Load(); o != nil {
		return *o
	}
	return ApplyOutcome{Applied: true}
}
