package database

import (
	"fmt"

	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// SetAdminCredentials changes the first admin's username and/or password
// (empty means unchanged) and clears the default-credential flag. It is
// the shell's way back in (x-ui setting), so it also makes that admin an
// owner: an owner demoted by mistake, or locked out, recovers everything.
func SetAdminCredentials(conn *gorm.DB, username, password string) error {
	return conn.Transaction(func(tx *gorm.DB) error {
		var user model.User
		if err := tx.Order("id").First(&user).Error; err != nil {
			return fmt.Errorf("load admin user: %w", err)
		}
		if username != "" {
			user.Username = username
		}
		if password != "" {
			hash, err := HashPassword(password)
			if err != nil {
				return err
			}
			user.Password = hash
		}
		user.DefaultCredential = user.Username == defaultUsername && CheckPassword(user.Password, defaultPassword)
		user.Role = "owner"
		return tx.Save(&user).Error
	})
}

// HasDefaultCredential reports whether the admin still logs in as admin/admin.
func HasDefaultCredential(conn *gorm.DB) (bool, error) {
	var count int64
	err := conn.Model(&model.User{}).Where("default_credential = ?", true).Count(&count).Error
	return count > 0, err
}
