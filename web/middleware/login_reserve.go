package middleware

import (
	"strings"
	"time"
)

// userFactor: a username may see this many times Max failures per window
// (from all addresses together) before it is refused too, so a spray over
// many IPs is slowed without one attacker locking the admin out at once.
const userFactor = 4

// Reserve counts an attempt from ip for username before the password is
// checked, atomically: N parallel attempts cannot all pass a check made
// before any of them is counted. It refuses when ip has Max attempts in the
// window or username has userFactor*Max. A successful login refunds the
// reservation through Succeeded; a failed one leaves it counted.
func (l *LoginLimiter) Reserve(ip, username string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	ukey := "user\x00" + strings.ToLower(username)
	if recent := l.prune(ip, now); len(recent) >= l.Max {
		return false, recent[0].Add(l.Window).Sub(now)
	}
	if recent := l.prune(ukey, now); len(recent) >= userFactor*l.Max {
		return false, recent[0].Add(l.Window).Sub(now)
	}
	if len(l.failures) >= maxTrackedIPs {
		for k := range l.failures {
			l.prune(k, now)
		}
	}
	l.failures[ip] = append(l.failures[ip], now)
	l.failures[ukey] = append(l.failures[ukey], now)
	return true, 0
}

// Succeeded forgets ip's attempts and refunds this login's reservation for
// username.
func (l *LoginLimiter) Succeeded(ip, username string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, ip)
	ukey := "user\x00" + strings.ToLower(username)
	if list := l.failures[ukey]; len(list) > 0 {
		l.failures[ukey] = list[:len(list)-1]
	}
}

// Refund takes back this request's reservation without forgetting earlier
// failures (a correct password that still needs its two-factor code).
func (l *LoginLimiter) Refund(ip, username string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range []string{ip, "user\x00" + strings.ToLower(username)} {
		if list := l.failures[k]; len(list) > 0 {
			l.failures[k] = list[:len(list)-1]
		}
	}
}

// bcrypt slots bound how many password checks run at once, so a login
// flood cannot take every CPU from the API and Xray's counters.
var bcryptSlots = make(chan struct{}, 2)

// PasswordSlot waits (at most wait) for a password-check slot; release
// must be called when the check is done. ok is false when none freed up.
func PasswordSlot(wait time.Duration) (release func(), ok bool) {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case bcryptSlots <- struct{}{}:
		return func() { <-bcryptSlots }, true
	case <-t.C:
		return nil, false
	}
}
