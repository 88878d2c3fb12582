package database

import (
	"fmt"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

const (
	defaultUsername = "admin"
	defaultPassword = "admin"
	// defaultPasswordHash is bcrypt (cost 10, bcrypt.DefaultCost) of
	// defaultPassword, hashed once here rather than at every first start:
	// the password is public, so a fresh salt per install protects nothing,
	// and each fresh database (every test opens several) skips a hash that
	// costs about a second under the race detector.
	defaultPasswordHash = "$2a$10$htwgiVeBuDkC/TVuY3Ipl.o6zGLYYlsoXzOCFKrjRgfxOtG7cKdnm"
)

// seed inserts the rows a fresh install needs, idempotently and in one
// transaction so concurrent first starts (master and workers) cannot race.
func seed(conn *gorm.DB) error {
	return conn.Transaction(func(tx *gorm.DB) error {
		if err := seedDefaultUser(tx); err != nil {
			return err
		}
		return seedSharedAccountsVersion(tx)
	})
}

func seedDefaultUser(tx *gorm.DB) error {
	var count int64
	if err := tx.Model(&model.User{}).Count(&count).Error; err != nil {
		return err
	}
	if count > 0 {
		return nil
	}
	user := &model.User{Username: defaultUsername, Password: defaultPasswordHash, DefaultCredential: true}
	// OnConflict DoNothing: another node may have seeded the same row first.
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(user).Error
}

// HashPassword bcrypts a panel password.
func HashPassword(password string) (string, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(hash), nil
}

// CheckPassword compares a bcrypt hash with a candidate password.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

func seedSharedAccountsVersion(tx *gorm.DB) error {
	row := &model.SharedState{Key: SharedAccountsVersionKey, Version: 0, UpdatedAt: time.Now().Unix()}
	return txOrDB(tx).Clauses(clause.OnConflict{DoNothing: true}).Create(row).Error
}
