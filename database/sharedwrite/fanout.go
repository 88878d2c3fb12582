package sharedwrite

import "log"

// Step is one thing a node does after a shared write committed.
type Step struct {
	Name string
	// Outcome marks the step whose result is the write's apply outcome
	// (the local Xray apply); the other steps' failures are logged only.
	Outcome bool
	Run     func(Change) error
}

// Fanout runs a node's steps, in the order given, after every committed
// shared write. It is built once by the app; the stores reach it through
// their Notifier.
type Fanout struct {
	steps []Step
}

// NewFanout is the fan-out of steps in this order. A step without Run
// (one that does not exist on this node) is left out.
func NewFanout(steps ...Step) *Fanout {
	f := &Fanout{}
	for _, st := range steps {
		if st.Run != nil {
			f.steps = append(f.steps, st)
		}
	}
	return f
}

// Changed runs every step for ch and returns the first failure among the
// Outcome steps: the apply result of the write that made ch.
func (f *Fanout) Changed(ch Change) error {
	var outcome error
	for _, st := range f.steps {
		err := st.Run(ch)
		if err == nil {
			continue
		}
		log.Printf("after shared write (version %d): %s: %v", ch.Post, st.Name, err)
		if st.Outcome && outcome == nil {
			outcome = err
		}
	}
	return outcome
}

// Steps names the steps in the order they run.
func (f *Fanout) Steps() []string {
	names := make([]string, len(f.steps))
	for i, st := range f.steps {
		names[i] = st.Name
	}
	return names
}
