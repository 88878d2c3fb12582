package middleware

import (
	"strings"
	"time"
)

// userFactor: a username may see this many times Max failures per window
// from all untrusted addresses together, and one address this many times
// Max over all usernames, before further untrusted attempts are refused.
const userFactor = 4

// maxKnownAddresses is how many recent good login addresses are kept per
// username.
const maxKnownAddresses = 8

// LoginAttempt is who tries to log in. Device is the ID of a valid
// trusted-device cookie issued to this username ("" if none).
type LoginAttempt struct {
	IP       string
	Username string
	Device   string
}

// Trusted reports whether the attempt comes from a device or an address
// this username logged in from before. Trusted attempts skip the
// per-username and per-address caps that a spray from many addresses
// fills, so nobody can lock the owner out; they still have their own
// bucket of Max attempts.
func (l *LoginLimiter) Trusted(a LoginAttempt) bool {
	if a.Device != "" {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ip := range l.known[strings.ToLower(a.Username)] {
		if ip == a.IP {
			return true
		}
	}
	return false
}

// keys are the buckets an attempt counts in, each with its limit.
func (l *LoginLimiter) keys(a LoginAttempt, trusted bool) ([]string, []int) {
	user := strings.ToLower(a.Username)
	if a.Device != "" {
		// The owner's browser has its own bucket: failures from others at
		// the same address cannot fill it.
		return []string{"dev\x00" + a.Device + "\x00" + user}, []int{l.Max}
	}
	pair := "pair\x00" + a.IP + "\x00" + user
	if trusted {
		return []string{pair}, []int{l.Max}
	}
	return []string{pair, "ip\x00" + a.IP, "user\x00" + user}, []int{l.Max, userFactor * l.Max, userFactor * l.Max}
}

// Reserve counts an attempt before the password is checked, atomically: N
// parallel attempts cannot all pass a check made before any of them is
// counted. It refuses when any of the attempt's buckets is full: its own
// address (or trusted device) with this username at Max and, for an
// untrusted attempt, the username over all addresses or the address over
// all usernames at userFactor*Max. A successful login refunds the
// reservation through Succeeded; a failed one leaves it counted.
func (l *LoginLimiter) Reserve(a LoginAttempt) (bool, time.Duration) {
	trusted := l.Trusted(a)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	keys, limits := l.keys(a, trusted)
	for i, k := range keys {
		if recent := l.prune(k, now); len(recent) >= limits[i] {
			return false, recent[0].Add(l.Window).Sub(now)
		}
	}
	if len(l.failures) >= maxTrackedIPs {
		for k := range l.failures {
			l.prune(k, now)
		}
	}
	for _, k := range keys {
		l.failures[k] = append(l.failures[k], now)
	}
	return true, 0
}

// Succeeded clears the attempt's own bucket, refunds its reservation in
// the shared ones, and remembers the address as a good one for the
// username.
func (l *LoginLimiter) Succeeded(a LoginAttempt) {
	trusted := l.Trusted(a)
	l.mu.Lock()
	defer l.mu.Unlock()
	keys, _ := l.keys(a, trusted)
	delete(l.failures, keys[0])
	for _, k := range keys[1:] {
		l.refundLocked(k)
	}
	user := strings.ToLower(a.Username)
	list := []string{a.IP}
	for _, ip := range l.known[user] {
		if ip != a.IP && len(list) < maxKnownAddresses {
			list = append(list, ip)
		}
	}
	if l.known == nil {
		l.known = map[string][]string{}
	}
	if _, ok := l.known[user]; !ok && len(l.known) >= maxTrackedIPs {
		return // bounded memory; a real owner has few usernames
	}
	l.known[user] = list
}

// Refund takes back this request's reservation without forgetting earlier
// failures (a correct password that still needs its two-factor code).
func (l *LoginLimiter) Refund(a LoginAttempt) {
	trusted := l.Trusted(a)
	l.mu.Lock()
	defer l.mu.Unlock()
	keys, _ := l.keys(a, trusted)
	for _, k := range keys {
		l.refundLocked(k)
	}
}

// Take counts one attempt at a secret under key, refusing once key has Max
// in the window; Give refunds it when the secret was right. Reserving
// before the check keeps parallel guesses within Max.
func (l *LoginLimiter) Take(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	if recent := l.prune(key, now); len(recent) >= l.Max {
		return false, recent[0].Add(l.Window).Sub(now)
	}
	l.failures[key] = append(l.failures[key], now)
	return true, 0
}

// Give refunds one Take of key.
func (l *LoginLimiter) Give(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refundLocked(key)
}

func (l *LoginLimiter) refundLocked(key string) {
	if list := l.failures[key]; len(list) > 0 {
		l.failures[key] = list[:len(list)-1]
		if len(l.failures[key]) == 0 {
			delete(l.failures, key)
		}
	}
}

// PasswordSlots bound how many password checks (bcrypt) run at once, so a
// login flood cannot take every CPU from the API and Xray's counters. A
// panel has one, shared by the login and every other password check.
type PasswordSlots struct{ ch chan struct{} }

// DefaultPasswordSlots is a panel's cap: two checks at a time.
const DefaultPasswordSlots = 2

// NewPasswordSlots allows n concurrent checks.
func NewPasswordSlots(n int) *PasswordSlots {
	return &PasswordSlots{ch: make(chan struct{}, n)}
}

// Take waits (at most wait) for a password-check slot; release must be
// called when the check is done. ok is false when none freed up.
func (p *PasswordSlots) Take(wait time.Duration) (release func(), ok bool) {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case p.ch <- struct{}{}:
		return func() { <-p.ch }, true
	case <-t.C:
		return nil, false
	}
}
