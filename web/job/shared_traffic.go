package job

import (
	"log"

	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// SharedTrafficJob is the traffic job in shared mode: it only drains Xray's
// counters into the node's journal (the XrayService's sink); the flush loop
// writes them to the database.
type SharedTrafficJob struct {
	Xray *xrayrun.XrayService
}

// Run is one traffic tick.
func (j *SharedTrafficJob) Run() {
	if !j.Xray.IsXrayRunning() {
		return
	}
	if err := j.Xray.DrainTraffic(); err != nil {
		log.Printf("traffic job: %v", err)
	}
}
