package notify

import (
	"context"
	"strings"

	"gorm.io/gorm"
)

// LeaseMoved records lease.moved in the transaction that gave this master
// the lease another holder had (database.TakeMasterLease): the event
// exists exactly when the lease changed hands, recorded once, by the new
// master. Holders read "<nodeId>[ at <address>] #<instance>".
func (r *Recorder) LeaseMoved(tx *gorm.DB, prev, holder string) error {
	if r == nil {
		return nil
	}
	// A notice must not keep the master from starting: a failure is
	// logged and undone to a savepoint.
	if err := tx.SavePoint("notify_lease").Error; err != nil {
		return err
	}
	_, err := r.Record(context.Background(), tx, New(LeaseMoved, map[string]any{
		"oldNodeId": leaseNodeID(prev), "newNodeId": leaseNodeID(holder), "oldHolder": prev, "newHolder": holder}))
	if err != nil {
		logf("notify: lease.moved: %v", err)
		return tx.RollbackTo("notify_lease").Error
	}
	return nil
}

// leaseNodeID is the node id part of a lease holder.
func leaseNodeID(holder string) string {
	id, _, _ := strings.Cut(holder, " #")
	id, _, _ = strings.Cut(id, " at ")
	return id
}
