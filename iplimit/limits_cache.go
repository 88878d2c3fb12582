package iplimit

import (
	"sync"
	"time"
)

// limitsMaxAge bounds how long cached limits are trusted without a version
// change: a restored database may carry an old version number.
const limitsMaxAge = 5 * time.Minute

// versionedLimits caches email -> limitIp per shared accounts version, so
// the 5 s check does not read and parse every inbound's settings (4.6 MB
// at 20,000 clients) while nothing changed. Every settings write bumps the
// version in its transaction, so a changed version is the only trigger
// needed; limitsMaxAge is a backstop.
type versionedLimits struct {
	read    func() (map[string]int, error)
	version func() (int64, error)
	now     func() time.Time

	mu     sync.Mutex
	at     int64
	readAt time.Time
	limits map[string]int
}

func (v *versionedLimits) get() (map[string]int, error) {
	ver, err := v.version()
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.limits != nil && v.at == ver && v.now().Sub(v.readAt) < limitsMaxAge {
		return v.limits, nil
	}
	limits, err := v.read()
	if err != nil {
		return nil, err
	}
	v.limits, v.at, v.readAt = limits, ver, v.now()
	return limits, nil
}
