// Package nodepush wakes workers right after a shared change: the master
// POSTs the new version to each live worker's panel, authenticated with a
// per-cluster secret kept in the shared database, and the worker syncs at
// once. It is only a wake-up: a worker the master cannot reach still
// converges on its next poll, so a lost push costs latency, never
// correctness.
package nodepush

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SecretKey names the settings row holding the cluster's push secret.
const SecretKey = "nodePushSecret"

// Path is the worker's wake-up route, under the panel's base path.
const Path = "node/sync"

// Header carries the secret on a push.
const Header = "X-XUI-Node-Secret"

// EnsureSecret returns the cluster's push secret, creating it once (the
// master does this at start; concurrent creators agree on the first row).
func EnsureSecret(conn *gorm.DB) (string, error) {
	if secret, err := LoadSecret(conn); err == nil && secret != "" {
		return secret, nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	row := model.Setting{Key: SecretKey, Value: hex.EncodeToString(buf)}
	if err := conn.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return "", fmt.Errorf("store push secret: %w", err)
	}
	return LoadSecret(conn)
}

// LoadSecret reads the push secret ("" when none was created yet).
func LoadSecret(conn *gorm.DB) (string, error) {
	var rows []model.Setting
	if err := conn.Where(clause.Eq{Column: clause.Column{Name: "key"}, Value: SecretKey}).Limit(1).Find(&rows).Error; err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return "", nil
	}
	return rows[0].Value, nil
}

// ErrBadSecret: a push without the cluster's secret.
var ErrBadSecret = errors.New("push refused: wrong or missing node secret")

func secretMatches(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
