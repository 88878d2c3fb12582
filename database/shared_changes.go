package database

import (
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// changeLogKeep is how many versions of change log are kept; a worker
// further behind reloads the full snapshot.
const changeLogKeep = 5000

// LogSharedChanges records what the write in tx changed under the version
// it has just bumped (call it after BumpSharedAccountsVersion, in the same
// transaction), and returns that version. Old entries are pruned now
// and then.
func LogSharedChanges(tx *gorm.DB, changes []model.SharedChange) (int64, error) {
	version, err := GetSharedAccountsVersion(tx)
	if err != nil || len(changes) == 0 {
		return version, err
	}
	for i := range changes {
		changes[i].Id = 0
		changes[i].Version = version
	}
	if err := tx.CreateInBatches(changes, 200).Error; err != nil {
		return version, err
	}
	if version%256 == 0 {
		return version, tx.Where("version <= ?", version-changeLogKeep).Delete(&model.SharedChange{}).Error
	}
	return version, nil
}

// LoadSharedChanges returns the change log for versions (from, to]. ok is
// false when some version in that range has no entry (an unlogged write or
// a pruned range): the caller must reload everything.
func LoadSharedChanges(conn *gorm.DB, from, to int64) (changes []model.SharedChange, ok bool, err error) {
	if to <= from {
		return nil, true, nil
	}
	err = conn.Where("version > ? AND version <= ?", from, to).Order("id").Find(&changes).Error
	if err != nil {
		return nil, false, err
	}
	seen := map[int64]bool{}
	for _, c := range changes {
		seen[c.Version] = true
	}
	return changes, int64(len(seen)) == to-from, nil
}
