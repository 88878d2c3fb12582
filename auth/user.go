package auth

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

// ErrInvalidCredentials is CheckUser's answer for a wrong username or
// password (the controller maps it to 401); it never says which was wrong.
var ErrInvalidCredentials = errors.New("wrong username or password")

// Users manages panel administrators.
type Users struct {
	db    *database.Handle
	node  *cluster.Node // refuses writes on a worker
	actor audit.Actor   // who writes (recorded in the audit log)
}

// As is s making its writes for actor.
func (s *Users) As(actor audit.Actor) *Users {
	return &Users{db: s.db, node: s.node, actor: actor}
}

// NewUsers is the users table of db, written only when node is a master.
func NewUsers(db *database.Handle, node *cluster.Node) *Users {
	return &Users{db: db, node: node}
}

var (
	dummyHashOnce sync.Once
	dummyHash     string
)

// equalizer returns a bcrypt hash to compare against when the user does not
// exist, so unknown usernames cost as much time as wrong passwords.
func equalizer() string {
	dummyHashOnce.Do(func() {
		dummyHash, _ = database.HashPassword("x-ui timing equalizer")
	})
	return dummyHash
}

// CheckUser returns the user when username and password match.
func (s *Users) CheckUser(username, password string) (*model.User, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var users []model.User
	if err := conn.Where("username = ?", username).Limit(1).Find(&users).Error; err != nil {
		return nil, err
	}
	if len(users) == 0 || users[0].Username != username {
		database.CheckPassword(equalizer(), password)
		return nil, ErrInvalidCredentials
	}
	if !database.CheckPassword(users[0].Password, password) {
		return nil, ErrInvalidCredentials
	}
	return &users[0], nil
}

// GetFirstUser returns the first (main) administrator.
func (s *Users) GetFirstUser() (*model.User, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	user := &model.User{}
	if err := conn.Order("id").First(user).Error; err != nil {
		if database.IsNotFound(err) {
			return nil, errs.NotFound("id", "no user exists")
		}
		return nil, err
	}
	return user, nil
}

// HasDefaultCredential reports whether admin/admin still logs in.
func (s *Users) HasDefaultCredential() (bool, error) {
	conn, err := s.db.DB()
	if err != nil {
		return false, err
	}
	return database.HasDefaultCredential(conn)
}

// MinPasswordLength is the shortest password UpdateUser accepts.
const MinPasswordLength = 8

// UpdateUser sets a user's username and password (both required) and
// recomputes DefaultCredential as database.SetAdminCredentials does. The
// users table is shared, so this is master only.
func (s *Users) UpdateUser(id int, username, password string) error {
	if err := s.node.RequireMaster(); err != nil {
		return err
	}
	if username == "" || strings.TrimSpace(username) != username || len(username) > 64 || strings.IndexFunc(username, unicode.IsControl) >= 0 {
		return errs.Invalid("username", "must be 1-64 characters without surrounding spaces")
	}
	if len(password) < MinPasswordLength || len(password) > 72 {
		// bcrypt only reads the first 72 bytes; longer would silently truncate.
		return errs.Invalid("password", "must be %d-72 bytes", MinPasswordLength)
	}
	conn, err := s.db.DB()
	if err != nil {
		return err
	}
	// Check before hashing (bcrypt is slow on purpose), and again inside the
	// transaction, which is kept short by hashing outside it.
	if err := checkUserUpdate(conn, id, username); err != nil {
		return err
	}
	hash, err := database.HashPassword(password)
	if err != nil {
		return err
	}
	e := audit.Entry{Action: "user.update", TargetKind: "user", TargetID: strconv.Itoa(id)}
	return audit.Tx(conn, s.node.Config().NodeID, s.actor, e, func(tx *gorm.DB, e *audit.Entry) error {
		if err := checkUserUpdate(tx, id, username); err != nil {
			return err
		}
		var old model.User
		if err := tx.Select("username").First(&old, id).Error; err != nil {
			return err
		}
		if c := audit.Value("username", old.Username, username); c != nil {
			e.Changes = append(e.Changes, *c)
		}
		e.Changes = append(e.Changes, audit.Change{Field: "password", Before: audit.Masked, After: audit.Masked})
		err := tx.Model(&model.User{}).Where("id = ?", id).Updates(map[string]any{
			"username":           username,
			"password":           hash,
			"default_credential": username == "admin" && password == "admin",
		}).Error
		if err != nil {
			return err
		}
		// A new password revokes the user's API tokens: whoever held the old
		// credentials may have minted them.
		return tx.Where("user_id = ?", id).Delete(&model.APIToken{}).Error
	})
}

// checkUserUpdate: user id exists and no other user has username.
func checkUserUpdate(conn *gorm.DB, id int, username string) error {
	var count int64
	if err := conn.Model(&model.User{}).Where("id = ?", id).Count(&count).Error; err != nil {
		return err
	}
	if count == 0 {
		return errs.NotFound("id", "user %d does not exist", id)
	}
	if err := conn.Model(&model.User{}).Where("username = ? AND id <> ?", username, id).Count(&count).Error; err != nil {
		return err
	}
	if count > 0 {
		return errs.Conflict("username", "%q is already taken", username)
	}
	return nil
}
