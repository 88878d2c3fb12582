package xray

import (
	"fmt"
	"time"
)

// supervise restarts Xray with the current config whenever it exits on its
// own, waiting backoffMin, doubling up to backoffMax; a run that lasted
// healthyRunTime resets the wait. It ends when stop is closed (Stop, Restart
// or a new Start).
func (p *Process) supervise(stop chan struct{}) {
	backoff := backoffMin
	for {
		r := p.current()
		if r == nil {
			return
		}
		select {
		case <-stop:
			return
		case <-r.done:
		}
		if time.Since(r.started) >= healthyRunTime {
			backoff = backoffMin
		}
		for restarted := false; !restarted; {
			timer := time.NewTimer(backoff)
			select {
			case <-stop:
				timer.Stop()
				return
			case <-timer.C:
			}
			backoff = min(backoff*2, backoffMax)
			var quit bool
			restarted, quit = p.supervisedRestart(stop)
			if quit {
				return
			}
		}
	}
}

// supervisedRestart makes one restart attempt; quit is true when
// supervision ended while it waited for the lock.
func (p *Process) supervisedRestart(stop chan struct{}) (ok, quit bool) {
	p.opMu.Lock()
	defer p.opMu.Unlock()
	select {
	case <-stop:
		return false, true
	default:
	}
	cfg := p.Config()
	if err := p.startLocked(cfg); err != nil {
		p.logs.Add(fmt.Sprintf("x-ui: supervised restart failed: %v", firstLine(err.Error())))
		return false, false
	}
	p.mu.Lock()
	p.restarts++
	n := p.restarts
	p.mu.Unlock()
	p.logs.Add(fmt.Sprintf("x-ui: xray restarted by supervisor (restart #%d)", n))
	return true, false
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
