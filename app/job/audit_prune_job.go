package job

import (
	"log"
	"time"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/settings"
)

// AuditPruneJob deletes audit rows older than the auditRetentionDays
// setting. It is scheduled on the master (or a single node) only: a
// worker's database account may not delete them.
type AuditPruneJob struct {
	Log      *audit.Log
	Settings *settings.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Run is one pass: the rows past the retention go in one statement.
func (j *AuditPruneJob) Run() {
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	days, err := j.Settings.GetInt("auditRetentionDays")
	if err != nil {
		log.Printf("audit prune: retention: %v", err)
		return
	}
	n, err := j.Log.Prune(now(), days)
	if err != nil {
		log.Printf("audit prune: %v", err)
		return
	}
	if n > 0 {
		log.Printf("audit prune: deleted %d rows older than %d days", n, days)
	}
}
