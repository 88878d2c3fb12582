// Package lifecycle runs a process's background loops under one group:
// each loop is a Run(ctx) error started by name; a loop that fails (or
// panics) is logged and restarted with backoff, never silently gone; Stop
// cancels the loops one by one in reverse start order and returns only
// after every loop has ended.
package lifecycle

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"
)

// Run is one background loop: it works until ctx ends and then returns
// nil. An error means it gave up and should be started again.
type Run func(ctx context.Context) error

// Backoff bounds the wait before a failed loop is started again.
const (
	minBackoff = time.Second
	maxBackoff = 30 * time.Second
)

// Hooks let tests observe the loops; production leaves them nil.
type Hooks struct {
	// Exited runs in the loop's goroutine after the loop ended for good
	// (its context ended), before Stop may return.
	Exited func(name string)
	// Restarting runs before a failed loop is started again, with the
	// error it returned.
	Restarting func(name string, err error)
	// Backoff replaces the wait before restart attempt n (1, 2, ...).
	Backoff func(attempt int) time.Duration
}

// Group is a set of named loops sharing one parent context.
type Group struct {
	parent context.Context
	hooks  Hooks

	mu      sync.Mutex
	loops   []*loop // start order
	stopped bool
}

type loop struct {
	name   string
	cancel context.CancelFunc
	done   chan struct{}
}

// New makes a group whose loops also end when parent ends.
func New(parent context.Context, hooks Hooks) *Group {
	return &Group{parent: parent, hooks: hooks}
}

// Go starts run as the loop name. After Stop it starts nothing.
func (g *Group) Go(name string, run Run) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return
	}
	ctx, cancel := context.WithCancel(g.parent)
	l := &loop{name: name, cancel: cancel, done: make(chan struct{})}
	g.loops = append(g.loops, l)
	go g.supervise(ctx, l, run)
}

// Names are the started loops in start order.
func (g *Group) Names() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	names := make([]string, len(g.loops))
	for i, l := range g.loops {
		names[i] = l.name
	}
	return names
}

// supervise runs l until its context ends, restarting it after a failure.
func (g *Group) supervise(ctx context.Context, l *loop, run Run) {
	defer close(l.done)
	defer func() {
		if g.hooks.Exited != nil {
			g.hooks.Exited(l.name)
		}
	}()
	for attempt := 1; ; attempt++ {
		err := runOnce(ctx, run)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = fmt.Errorf("returned before the panel stopped")
		}
		wait := g.backoff(attempt)
		log.Printf("loop %s: %v; restarting in %s", l.name, err, wait)
		if g.hooks.Restarting != nil {
			g.hooks.Restarting(l.name, err)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// runOnce turns a panic into an error, so the loop is restarted rather
// than taking the panel down.
func runOnce(ctx context.Context, run Run) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return run(ctx)
}

func (g *Group) backoff(attempt int) time.Duration {
	if g.hooks.Backoff != nil {
		return g.hooks.Backoff(attempt)
	}
	d := minBackoff
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// Stop cancels the loops in reverse start order, waiting for each to end
// before cancelling the one started before it, so a loop never outlives
// the parts started ahead of it. Stop twice is a no-op.
func (g *Group) Stop() {
	g.mu.Lock()
	g.stopped = true
	loops := g.loops
	g.loops = nil
	g.mu.Unlock()
	for i := len(loops) - 1; i >= 0; i-- {
		loops[i].cancel()
		<-loops[i].done
	}
}
