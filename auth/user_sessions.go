package auth

import (
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// EndSessions bumps userID's session epoch: every session of the user, on
// every node's panel, stops working (logout, "log out everywhere").
func (s *Users) EndSessions(userID int) error {
	if err := s.node.RequireMaster(); err != nil {
		return err
	}
	conn, err := s.db.DB()
	if err != nil {
		return err
	}
	return conn.Model(&model.User{}).Where("id = ?", userID).
		UpdateColumn("session_epoch", gorm.Expr("session_epoch + 1")).Error
}

// UseTOTPStep marks step as used for userID; false when that step (or a
// later one) was already used: the code is a replay. One conditional
// UPDATE, so two parallel logins with one code cannot both pass.
func (s *Users) UseTOTPStep(userID int, step int64) (bool, error) {
	if err := s.node.RequireMaster(); err != nil {
		// A worker cannot write the users table; the code stays valid there.
		return true, nil
	}
	conn, err := s.db.DB()
	if err != nil {
		return false, err
	}
	res := conn.Model(&model.User{}).Where("id = ? AND totp_last_step < ?", userID, step).
		UpdateColumn("totp_last_step", step)
	return res.RowsAffected == 1, res.Error
}

// TwoFactorEnabled reports whether any administrator logs in with a TOTP
// code. The login page asks before anyone is logged in (3x-ui's
// getTwoFactorEnable), so it answers one bit and names nobody.
func (s *Users) TwoFactorEnabled() (bool, error) {
	conn, err := s.db.DB()
	if err != nil {
		return false, err
	}
	var n int64
	if err := conn.Model(&model.User{}).Where("two_factor_secret <> ''").Count(&n).Error; err != nil {
		return false, err
	}
	return n > 0, nil
}
