package service

import (
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// EndSessions bumps userID's session epoch: every session of the user, on
// every node's panel, stops working (logout, "log out everywhere").
func (s *UserService) EndSessions(userID int) error {
	if err := RequireMaster(); err != nil {
		return err
	}
	conn, err := dbOrErr()
	if err != nil {
		return err
	}
	return conn.Model(&model.User{}).Where("id = ?", userID).
		UpdateColumn("session_epoch", gorm.Expr("session_epoch + 1")).Error
}
