package sub

import (
	"sync"
	"time"
)

// RateLimiter allows each IP a burst of requests refilled at a steady
// rate (a token bucket per IP). Its table is bounded: when full, buckets
// that have refilled completely are dropped, and if none has, the new IP
// is refused rather than growing memory.
type RateLimiter struct {
	mu      sync.Mutex
	burst   float64
	perSec  float64
	max     int
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewRateLimiter allows burst requests, then perMinute a minute, per IP.
func NewRateLimiter(burst, perMinute int) *RateLimiter {
	return &RateLimiter{
		burst: float64(burst), perSec: float64(perMinute) / 60, max: 65536,
		buckets: map[string]*bucket{}, now: time.Now,
	}
}

// Allow takes one token for ip.
func (l *RateLimiter) Allow(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[ip]
	if !ok {
		if len(l.buckets) >= l.max && !l.evict(now) {
			return false
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[ip] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.perSec)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *RateLimiter) evict(now time.Time) bool {
	freed := false
	for ip, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.perSec >= l.burst {
			delete(l.buckets, ip)
			freed = true
		}
	}
	return freed
}
