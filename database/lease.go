package database

import (
	"fmt"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MasterLeaseKey names the shared_states row that makes one node the master.
const MasterLeaseKey = "master_lease"

// LeaseHeldError says another live master holds the lease.
type LeaseHeldError struct {
	Holder    string
	ExpiresAt int64
}

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("another master (%s) holds the master lease until %s; run exactly one master, or wait for its lease to expire",
		e.Holder, time.Unix(e.ExpiresAt, 0).UTC().Format(time.RFC3339))
}

// AcquireMasterLease takes or renews the lease for holder until now+ttl. It
// fails with *LeaseHeldError while another holder's lease is unexpired.
func AcquireMasterLease(conn *gorm.DB, holder string, ttl time.Duration) error {
	return conn.Transaction(func(tx *gorm.DB) error {
		seed := &model.SharedState{Key: MasterLeaseKey}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(seed).Error; err != nil {
			return err
		}
		var lease model.SharedState
		q := tx.Where(keyIs(MasterLeaseKey))
		if DialectOf(tx).IsMySQL() {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.First(&lease).Error; err != nil {
			return err
		}
		now := time.Now()
		if lease.Holder != "" && lease.Holder != holder && lease.Version > now.Unix() {
			return &LeaseHeldError{Holder: lease.Holder, ExpiresAt: lease.Version}
		}
		return tx.Model(&model.SharedState{}).Where(keyIs(MasterLeaseKey)).Updates(map[string]any{
			"holder": holder, "version": now.Add(ttl).Unix(), "updated_at": now.Unix(),
		}).Error
	})
}

// ReleaseMasterLease gives the lease up if holder has it.
func ReleaseMasterLease(conn *gorm.DB, holder string) error {
	return conn.Model(&model.SharedState{}).
		Where(keyIs(MasterLeaseKey)).Where("holder = ?", holder).
		Updates(map[string]any{"holder": "", "version": 0, "updated_at": time.Now().Unix()}).Error
}
