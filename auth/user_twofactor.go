package auth

import (
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

// pendingTOTPTTL is how long a secret from Setup waits for Enable; long
// enough to scan a QR code, short enough that a forgotten one goes away.
const pendingTOTPTTL = 10 * time.Minute

// TwoFactor turns TOTP two-factor login on and off for a user. A new
// secret is held in memory until the user proves (with a code) that the
// authenticator app has it; only then is it stored in users.two_factor_secret.
// The users table is shared, so every write is master only.
type TwoFactor struct {
	// Now is the clock for codes and expiry; nil means time.Now.
	Now func() time.Time

	db   *database.Handle
	node *cluster.Node // refuses writes on a worker

	mu      sync.Mutex
	pending map[int]pendingTOTP
}

type pendingTOTP struct {
	secret  string
	expires time.Time
}

// TwoFactorSetup is what Setup returns for the authenticator app.
type TwoFactorSetup struct {
	Secret    string `json:"secret"`
	URL       string `json:"url"`       // otpauth://totp/... for a QR code
	ExpiresAt int64  `json:"expiresAt"` // unix seconds; enable before then
}

// NewTwoFactor returns a service on the users table of db, with an
// empty pending store; it writes only when node is a master.
func NewTwoFactor(db *database.Handle, node *cluster.Node) *TwoFactor {
	return &TwoFactor{db: db, node: node, pending: map[int]pendingTOTP{}}
}

func (s *TwoFactor) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Enabled reports whether userID logs in with a two-factor code.
func (s *TwoFactor) Enabled(userID int) (bool, error) {
	user, err := s.loadUser(userID)
	if err != nil {
		return false, err
	}
	return user.TwoFactorSecret != "", nil
}

// Setup creates a new pending secret for userID, replacing any earlier one.
// It refuses while two-factor is on: turning it off needs a code first.
func (s *TwoFactor) Setup(userID int) (*TwoFactorSetup, error) {
	if err := s.node.RequireMaster(); err != nil {
		return nil, err
	}
	user, err := s.loadUser(userID)
	if err != nil {
		return nil, err
	}
	if user.TwoFactorSecret != "" {
		return nil, errs.Conflict("twoFactor", "already enabled; disable it with a current code before setting up a new secret")
	}
	secret := NewTOTPSecret()
	expires := s.now().Add(pendingTOTPTTL)
	s.mu.Lock()
	s.dropExpiredLocked()
	s.pending[userID] = pendingTOTP{secret: secret, expires: expires}
	s.mu.Unlock()
	return &TwoFactorSetup{Secret: secret, URL: otpauthURL(user.Username, secret), ExpiresAt: expires.Unix()}, nil
}

// Enable checks code against the pending secret and stores that secret.
// A wrong code changes nothing and keeps the pending secret for a retry.
func (s *TwoFactor) Enable(userID int, code string) error {
	return s.EnableAs(audit.Actor{}, userID, code)
}

// EnableAs is Enable recorded in the audit log as actor's write.
func (s *TwoFactor) EnableAs(actor audit.Actor, userID int, code string) error {
	if err := s.node.RequireMaster(); err != nil {
		return err
	}
	code, err := checkCodeFormat(code)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.dropExpiredLocked()
	p, ok := s.pending[userID]
	s.mu.Unlock()
	if !ok {
		return errs.Invalid("secret", "no pending two-factor setup (none was started, or it expired after %v); call setting/twoFactor/setup first", pendingTOTPTTL)
	}
	if !ValidTOTP(p.secret, code, s.now()) {
		return errs.Invalid("code", "wrong two-factor code for the pending secret")
	}
	conn, err := s.db.DB()
	if err != nil {
		return err
	}
	e := audit.Entry{Action: "user.twoFactor.enable", TargetKind: "user", TargetID: strconv.Itoa(userID),
		Changes: []audit.Change{{Field: "twoFactorSecret", Before: "", After: audit.Masked}}}
	err = audit.Tx(conn, s.node.Config().NodeID, actor, e, func(tx *gorm.DB, _ *audit.Entry) error {
		res := tx.Model(&model.User{}).Where("id = ? AND two_factor_secret = ?", userID, "").
			Update("two_factor_secret", p.secret)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return enableMissError(tx, userID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	if cur, ok := s.pending[userID]; ok && cur.secret == p.secret {
		delete(s.pending, userID)
	}
	s.mu.Unlock()
	return nil
}

// Disable clears the stored secret after checking a current code for it.
func (s *TwoFactor) Disable(userID int, code string) error {
	return s.DisableAs(audit.Actor{}, userID, code)
}

// DisableAs is Disable recorded in the audit log as actor's write.
func (s *TwoFactor) DisableAs(actor audit.Actor, userID int, code string) error {
	if err := s.node.RequireMaster(); err != nil {
		return err
	}
	code, err := checkCodeFormat(code)
	if err != nil {
		return err
	}
	user, err := s.loadUser(userID)
	if err != nil {
		return err
	}
	if user.TwoFactorSecret == "" {
		return errs.Conflict("twoFactor", "is not enabled")
	}
	if !ValidTOTP(user.TwoFactorSecret, code, s.now()) {
		return errs.Invalid("code", "wrong two-factor code")
	}
	conn, err := s.db.DB()
	if err != nil {
		return err
	}
	e := audit.Entry{Action: "user.twoFactor.disable", TargetKind: "user", TargetID: strconv.Itoa(userID),
		Changes: []audit.Change{{Field: "twoFactorSecret", Before: audit.Masked, After: ""}}}
	return audit.Tx(conn, s.node.Config().NodeID, actor, e, func(tx *gorm.DB, _ *audit.Entry) error {
		// Clear only the secret the code was checked against.
		res := tx.Model(&model.User{}).Where("id = ? AND two_factor_secret = ?", userID, user.TwoFactorSecret).
			Update("two_factor_secret", "")
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.Conflict("twoFactor", "the secret changed while disabling; reload and try again")
		}
		return nil
	})
}

func (s *TwoFactor) dropExpiredLocked() {
	if s.pending == nil {
		s.pending = map[int]pendingTOTP{}
	}
	now := s.now()
	for id, p := range s.pending {
		if !now.Before(p.expires) {
			delete(s.pending, id)
		}
	}
}

// CheckCodeFormat trims code and checks it is six digits: a malformed
// code is refused before it counts as a wrong guess.
func CheckCodeFormat(code string) (string, error) { return checkCodeFormat(code) }

// checkCodeFormat trims code and checks it is six digits.
func checkCodeFormat(code string) (string, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return "", errs.Invalid("code", "is required (the 6-digit code from the authenticator app)")
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return "", errs.Invalid("code", "must be 6 digits, got %q", code)
	}
	return code, nil
}

func (s *TwoFactor) loadUser(userID int) (*model.User, error) {
	conn, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var users []model.User
	if err := conn.Where("id = ?", userID).Limit(1).Find(&users).Error; err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, errs.NotFound("id", "user %d does not exist", userID)
	}
	return &users[0], nil
}

// enableMissError explains why the guarded update matched no row.
func enableMissError(tx *gorm.DB, userID int) error {
	var users []model.User
	if err := tx.Where("id = ?", userID).Limit(1).Find(&users).Error; err != nil {
		return err
	}
	if len(users) == 0 {
		return errs.NotFound("id", "user %d does not exist", userID)
	}
	return errs.Conflict("twoFactor", "already enabled")
}

// otpauthURL is the key URI authenticator apps read from a QR code.
func otpauthURL(username, secret string) string {
	issuer := config.GetName()
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", "6")
	q.Set("period", "30")
	label := url.PathEscape(issuer) + ":" + url.PathEscape(username)
	return "otpauth://totp/" + label + "?" + q.Encode()
}
