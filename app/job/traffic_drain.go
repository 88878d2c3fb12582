package job

import (
	"log"

	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// TrafficDrainJob drains Xray's counters into the node's journal (the
// xrayrun.Runner's sink, traffic.Journal); the flush loop writes them to the
// database through the per-node ledger. It is the only traffic pipeline.
type TrafficDrainJob struct {
	Xray *xrayrun.Runner
}

// Run is one traffic tick.
func (j *TrafficDrainJob) Run() {
	if !j.Xray.IsXrayRunning() {
		return
	}
	if err := j.Xray.DrainTraffic(); err != nil {
		log.Printf("traffic job: %v", err)
	}
}
