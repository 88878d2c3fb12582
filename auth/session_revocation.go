package auth

import (
	"fmt"
	"log"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
)

// SessionRevocations keeps logged-out session IDs in the shared
// session_revocations table (web/session.RevocationStore), so a logout
// made on any node is honoured by every node and survives restarts.
//
// A worker only inserts: its MariaDB account gets INSERT on the table and
// no DELETE, so a compromised worker cannot bring a revoked session back.
// The master prunes rows whose session would have expired anyway.
type SessionRevocations struct {
	db   *database.Handle
	node *cluster.Node // only the master prunes

	// Now is the clock for pruning; nil means time.Now.
	Now func() time.Time
}

// NewSessionRevocations keeps revocations in db; node decides who prunes.
func NewSessionRevocations(db *database.Handle, node *cluster.Node) *SessionRevocations {
	return &SessionRevocations{db: db, node: node}
}

func (s *SessionRevocations) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// RevokeSession records id as logged out until expires (unix seconds).
func (s *SessionRevocations) RevokeSession(id string, expires int64) error {
	conn, err := s.db.DB()
	if err != nil {
		return err
	}
	if s.node.IsMaster() {
		if err := conn.Where("expires_at <= ?", s.now().Unix()).Delete(&model.SessionRevocation{}).Error; err != nil {
			log.Printf("session revocations: prune expired rows: %v", err)
		}
	}
	if err := conn.Create(&model.SessionRevocation{SessionID: id, ExpiresAt: expires}).Error; err != nil {
		// Two logouts of one session at once: the other insert won.
		if revoked, lookErr := s.SessionRevoked(id); lookErr == nil && revoked {
			return nil
		}
		return fmt.Errorf("store the session revocation: %w", err)
	}
	return nil
}

// SessionRevoked reports whether id was logged out on any node.
func (s *SessionRevocations) SessionRevoked(id string) (bool, error) {
	conn, err := s.db.DB()
	if err != nil {
		return false, err
	}
	var n int64
	if err := conn.Model(&model.SessionRevocation{}).Where("session_id = ?", id).Count(&n).Error; err != nil {
		return false, err
	}
	return n > 0, nil
}
