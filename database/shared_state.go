package database

import (
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SharedAccountsVersionKey names the counter bumped by every shared write.
const SharedAccountsVersionKey = "shared_accounts_version"

func txOrDB(tx *gorm.DB) *gorm.DB {
	if tx != nil {
		return tx
	}
	return GetDB()
}

// keyIs matches shared_states.key; "key" is reserved in MariaDB, so the
// column goes through gorm's quoting rather than raw SQL.
func keyIs(key string) clause.Expression {
	return clause.Eq{Column: clause.Column{Name: "key"}, Value: key}
}

// GetSharedAccountsVersion reads the shared accounts version.
func GetSharedAccountsVersion(tx *gorm.DB) (int64, error) {
	state := &model.SharedState{}
	if err := txOrDB(tx).Where(keyIs(SharedAccountsVersionKey)).First(state).Error; err != nil {
		return 0, err
	}
	return state.Version, nil
}

// BumpSharedAccountsVersion increments the version; call it inside the
// transaction of the write it announces so both commit or neither does.
func BumpSharedAccountsVersion(tx *gorm.DB) error {
	return txOrDB(tx).Model(&model.SharedState{}).
		Where(keyIs(SharedAccountsVersionKey)).
		Updates(map[string]any{
			"version":    gorm.Expr("version + 1"),
			"updated_at": time.Now().Unix(),
		}).Error
}

// UpsertNodeState inserts or replaces a node's status row.
func UpsertNodeState(tx *gorm.DB, state *model.NodeState) error {
	state.UpdatedAt = time.Now().Unix()
	return txOrDB(tx).Save(state).Error
}
