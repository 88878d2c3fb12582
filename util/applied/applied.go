// Package applied carries the result of the live Xray apply that follows
// one committed write back to that write's caller, so concurrent writes
// each report their own outcome instead of whichever apply ran last.
package applied

import "sync"

// Receipt collects the apply results of the writes made with it. The zero
// value is ready; a nil *Receipt records nothing.
type Receipt struct {
	mu  sync.Mutex
	ran bool
	err error
}

// Record notes one apply's result; the first failure is kept.
func (r *Receipt) Record(err error) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ran = true
	if r.err == nil {
		r.err = err
	}
}

// Result reports whether any apply ran for the writes, and the first
// failure among them.
func (r *Receipt) Result() (ran bool, err error) {
	if r == nil {
		return false, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ran, r.err
}
