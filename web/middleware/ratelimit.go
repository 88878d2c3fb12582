package middleware

import (
	"sync"
	"time"
)

// LoginLimiter counts failed attempts at a secret per key: after Max
// failures within Window the key is refused until the oldest failure leaves
// the window. Logins use Reserve (buckets per address and username, see
// login_reserve.go); other secret checks use Take and Give.
type LoginLimiter struct {
	Max    int
	Window time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
	// known holds the addresses each username last logged in from.
	known map[string][]string
}

// maxTrackedIPs bounds memory under a spray from many addresses.
const maxTrackedIPs = 10000

// NewLoginLimiter allows max failures per window per IP.
func NewLoginLimiter(max int, window time.Duration) *LoginLimiter {
	return &LoginLimiter{Max: max, Window: window, Now: time.Now, failures: map[string][]time.Time{}}
}

// Allow reports whether ip may try to log in, and if not, how long to wait.
func (l *LoginLimiter) Allow(ip string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	recent := l.prune(ip, now)
	if len(recent) < l.Max {
		return true, 0
	}
	return false, recent[0].Add(l.Window).Sub(now)
}

// Fail records a failed attempt from ip.
func (l *LoginLimiter) Fail(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	if len(l.failures) >= maxTrackedIPs {
		for k := range l.failures {
			l.prune(k, now)
		}
	}
	l.failures[ip] = append(l.prune(ip, now), now)
}

// Reset forgets ip's failures after a successful login.
func (l *LoginLimiter) Reset(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, ip)
}

// prune drops failures older than the window; the caller holds mu.
func (l *LoginLimiter) prune(ip string, now time.Time) []time.Time {
	list := l.failures[ip]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= l.Window {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(l.failures, ip)
		return nil
	}
	l.failures[ip] = list
	return list
}
