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
	return TakeMasterLease(conn, holder, ttl, nil)
}

// TakeMasterLease is AcquireMasterLease that, when the lease was last
// held by another holder (expired, or released at its shutdown), calls
// moved with that holder inside the transaction that takes it over: the
// new master records lease.moved exactly when it got the lease.
func TakeMasterLease(conn *gorm.DB, holder string, ttl time.Duration, moved func(tx *gorm.DB, prev, holder string) error) error {
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
		prev := lease.Holder
		if prev == "" && moved != nil { // released: whose it was
			var last []model.SharedState
			if err := tx.Where(keyIs(LastMasterKey)).Limit(1).Find(&last).Error; err != nil {
				return err
			}
			if len(last) == 1 {
				prev = last[0].Holder
			}
		}
		if moved != nil && prev != "" && prev != holder {
			if err := moved(tx, prev, holder); err != nil {
				return err
			}
		}
		return tx.Model(&model.SharedState{}).Where(keyIs(MasterLeaseKey)).Updates(map[string]any{
			"holder": holder, "version": now.Add(ttl).Unix(), "updated_at": now.Unix(),
		}).Error
	})
}

// ReleaseMasterLease gives the lease up if holder has it, noting the
// holder under LastMasterKey so the next master can say whose lease it
// took (lease.moved).
func ReleaseMasterLease(conn *gorm.DB, holder string) error {
	return conn.Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&model.SharedState{}).
			Where(keyIs(MasterLeaseKey)).Where("holder = ?", holder).
			Updates(map[string]any{"holder": "", "version": 0, "updated_at": time.Now().Unix()})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		last := model.SharedState{Key: LastMasterKey, Holder: holder, UpdatedAt: time.Now().Unix()}
		return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}},
			DoUpdates: clause.AssignmentColumns([]string{"holder", "updated_at"})}).Create(&last).Error
	})
}

// LastMasterKey names the shared_states row holding the last master that
// released the lease at its shutdown.
const LastMasterKey = "master_lease_released"
