package job

import (
	"log"
	"time"

	"github.com/mhsanaei/3x-ui/v2/inbound"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

// PeriodicTrafficResetJob runs the inbounds' daily/weekly/monthly client
// traffic resets (upstream 3x-ui's traffic_reset). It is scheduled on the
// master (or a single node) only: workers never write shared rows.
type PeriodicTrafficResetJob struct {
	Inbounds *inbound.Store
	Settings *settings.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Run is one check; due inbounds are reset in one transaction.
func (j *PeriodicTrafficResetJob) Run() {
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	loc := time.Local
	if j.Settings != nil {
		if l, err := j.Settings.GetTimeLocation(); err == nil && l != nil {
			loc = l
		}
	}
	n, err := j.Inbounds.RunPeriodicTrafficResets(now(), loc)
	if err != nil {
		log.Printf("periodic traffic reset: %v", err)
		return
	}
	if n > 0 {
		log.Printf("periodic traffic reset: reset the client traffic of %d inbounds", n)
	}
}
