package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mhsanaei/3x-ui/v2/audit"
	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
	"gorm.io/gorm"
)

// APITokenPrefix starts every API token made here, so a leaked token is
// recognisable by secret scanners. Tokens are also accepted without it:
// 3x-ui v3's tokens have none, and a v3 client may expect the bare form.
const APITokenPrefix = "xui_"

// apiTokenSecretLen is the random part's length: 3x-ui v3's 48
// alphanumerics (about 285 bits), so the part after the prefix is a
// v3-shaped token.
const apiTokenSecretLen = 48

const apiTokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// apiTokenTouchEvery limits last-used writes to one per token per minute, so
// a busy script does not turn every API read into a database write.
const apiTokenTouchEvery = time.Minute

// ErrAPITokenInvalid is an unknown or revoked bearer token.
var ErrAPITokenInvalid = errors.New("invalid or revoked API token")

// ErrAPITokenDisabled is a known token switched off with setEnabled.
var ErrAPITokenDisabled = errors.New("API token is disabled")

// Tokens manages bearer tokens for scripts. The zero value is ready.
type Tokens struct {
	// Now is the clock (tests replace it); nil means time.Now.
	Now func() time.Time

	db    *database.Handle
	node  *cluster.Node // refuses writes on a worker
	actor audit.Actor   // who writes (recorded in the audit log)
}

// As is s making its writes for actor.
func (s *Tokens) As(actor audit.Actor) *Tokens {
	return &Tokens{Now: s.Now, db: s.db, node: s.node, actor: actor}
}

// NewTokens is the api_tokens table of db, written only when node is a master.
func NewTokens(db *database.Handle, node *cluster.Node) *Tokens {
	return &Tokens{db: db, node: node}
}

func (s *Tokens) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// HashAPIToken is the stored form of a token.
func HashAPIToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// List returns every token (never the token itself), newest first.
func (s *Tokens) List() ([]model.APIToken, error) { return s.ListFor(0) }

// ListFor returns userID's tokens (0: every token), newest first. 3x-ui
// v3 rows (user 0) show only in the full list, which owners get.
func (s *Tokens) ListFor(userID int) ([]model.APIToken, error) {
	db, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	q := db.Order("id desc")
	if userID != 0 {
		q = q.Where("user_id = ?", userID)
	}
	var tokens []model.APIToken
	err = q.Find(&tokens).Error
	return tokens, err
}

// OwnedBy reports whether token id belongs to userID (NotFound when there
// is no such token), so a non-owner manages only its own tokens.
func (s *Tokens) OwnedBy(id, userID int) (bool, error) {
	db, err := s.db.DB()
	if err != nil {
		return false, err
	}
	var rows []model.APIToken
	if err := db.Select("id", "user_id").Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil {
		return false, err
	}
	if len(rows) == 0 {
		return false, errs.NotFound("id", "no API token with id %d", id)
	}
	return rows[0].UserId == userID, nil
}

// Create makes a token for userID; the returned plain token is shown once.
func (s *Tokens) Create(userID int, name string) (string, *model.APIToken, error) {
	return s.CreateExpiring(userID, name, 0)
}

// MaxAPITokenDays bounds a token's lifetime when one is given.
const MaxAPITokenDays = 3650

// CreateExpiring is Create with a lifetime in days (0 = no expiry).
func (s *Tokens) CreateExpiring(userID int, name string, days int) (string, *model.APIToken, error) {
	return s.CreateScoped(TokenSpec{UserID: userID, UserRole: RoleOwner, Name: name, Days: days})
}

// TokenSpec is a token to make: for whom, with what role and scope.
type TokenSpec struct {
	UserID   int
	UserRole Role // the maker's role: the token's may not exceed it
	Name     string
	Days     int    // lifetime (0 = no expiry)
	Role     string // "" = the maker's role
	// ScopeKind "" (every object) or ScopeInbound with ScopeID the inbound.
	ScopeKind string
	ScopeID   int
}

// CreateScoped makes a token with a role (at most the maker's) and an
// optional inbound scope; the returned plain token is shown once.
func (s *Tokens) CreateScoped(spec TokenSpec) (string, *model.APIToken, error) {
	name, days := spec.Name, spec.Days
	role := spec.UserRole
	if spec.Role != "" {
		r, err := ParseRole("role", spec.Role)
		if err != nil {
			return "", nil, err
		}
		if !spec.UserRole.Covers(r) {
			return "", nil, forbidden("role", "a %s cannot make a token with role %s", spec.UserRole, r)
		}
		role = r
	}
	switch spec.ScopeKind {
	case ScopeNone:
		if spec.ScopeID != 0 {
			return "", nil, errs.Invalid("scopeKind", "give scopeKind \"inbound\" with scopeId")
		}
	case ScopeInbound:
		if spec.ScopeID <= 0 {
			return "", nil, errs.Invalid("scopeId", "must be the id of the inbound the token is for")
		}
	default:
		return "", nil, errs.Invalid("scopeKind", "must be \"\" (none) or \"inbound\", got %q", spec.ScopeKind)
	}
	if days < 0 || days > MaxAPITokenDays {
		return "", nil, errs.Invalid("expiresInDays", "must be 0 (never) to %d", MaxAPITokenDays)
	}
	if err := s.node.RequireMaster(); err != nil {
		return "", nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, errs.Invalid("name", "is required")
	}
	if utf8.RuneCountInString(name) > 100 {
		return "", nil, errs.Invalid("name", "must be at most 100 characters")
	}
	db, err := s.db.DB()
	if err != nil {
		return "", nil, err
	}
	var count int64
	if err := db.Model(&model.APIToken{}).Where("name = ?", name).Count(&count).Error; err != nil {
		return "", nil, err
	}
	if count > 0 {
		return "", nil, errs.Conflict("name", "a token named %q already exists", name)
	}
	if spec.ScopeKind == ScopeInbound {
		if err := db.Model(&model.Inbound{}).Where("id = ?", spec.ScopeID).Count(&count).Error; err != nil {
			return "", nil, err
		}
		if count == 0 {
			return "", nil, errs.NotFound("scopeId", "inbound %d does not exist", spec.ScopeID)
		}
	}
	secret, err := randomAlphanumeric(apiTokenSecretLen)
	if err != nil {
		return "", nil, err
	}
	plain := APITokenPrefix + secret
	rec := &model.APIToken{
		UserId:    spec.UserID,
		Role:      string(role),
		ScopeKind: spec.ScopeKind,
		ScopeID:   spec.ScopeID,
		Name:      name,
		Token:     HashAPIToken(plain),
		Enabled:   true,
		Prefix:    plain[:len(APITokenPrefix)+6],
		CreatedAt: s.now().Unix(),
	}
	if days > 0 {
		rec.ExpiresAt = s.now().Add(time.Duration(days) * 24 * time.Hour).Unix()
	}
	e := audit.Entry{Action: "token.create", TargetKind: "token"}
	err = audit.Tx(db, s.node.Config().NodeID, s.actor, e, func(tx *gorm.DB, e *audit.Entry) error {
		rec.Id = 0 // a retried attempt must not reuse a rolled-back id
		if err := tx.Create(rec).Error; err != nil {
			return err
		}
		e.TargetID = strconv.Itoa(rec.Id)
		e.Changes = []audit.Change{audit.Set("name", rec.Name), audit.Set("expiresAt", rec.ExpiresAt),
			audit.Set("userId", rec.UserId), audit.Set("role", rec.Role)}
		if rec.ScopeKind != "" {
			e.Changes = append(e.Changes, audit.Set("scope", rec.ScopeKind+":"+strconv.Itoa(rec.ScopeID)))
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return plain, rec, nil
}

// randomAlphanumeric draws n characters uniformly from apiTokenAlphabet
// (rejection sampling: 256 is not a multiple of 62).
func randomAlphanumeric(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, 64)
	limit := byte(256 - 256%len(apiTokenAlphabet))
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if b < limit && len(out) < n {
				out = append(out, apiTokenAlphabet[int(b)%len(apiTokenAlphabet)])
			}
		}
	}
	return string(out), nil
}

// SetEnabled switches a token on or off (3x-ui v3's apiTokens/setEnabled).
func (s *Tokens) SetEnabled(id int, enabled bool) error {
	db, err := s.writeToken(id)
	if err != nil {
		return err
	}
	e := audit.Entry{Action: "token.setEnabled", TargetKind: "token", TargetID: strconv.Itoa(id)}
	return audit.Tx(db, s.node.Config().NodeID, s.actor, e, func(tx *gorm.DB, e *audit.Entry) error {
		var rows []model.APIToken
		if err := tx.Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return errs.NotFound("id", "no API token with id %d", id)
		}
		if c := audit.Value("enabled", rows[0].Enabled, enabled); c != nil {
			e.Changes = []audit.Change{*c}
		}
		return tx.Model(&model.APIToken{}).Where("id = ?", id).Update("enabled", enabled).Error
	})
}

// writeToken is the guard of a write to token id: the master only, a
// positive id; it answers the database to write with.
func (s *Tokens) writeToken(id int) (*gorm.DB, error) {
	if err := s.node.RequireMaster(); err != nil {
		return nil, err
	}
	if id <= 0 {
		return nil, errs.Invalid("id", "must be a positive token id")
	}
	return s.db.DB()
}

// Revoke deletes a token; requests using it fail from then on.
func (s *Tokens) Revoke(id int) error {
	db, err := s.writeToken(id)
	if err != nil {
		return err
	}
	e := audit.Entry{Action: "token.delete", TargetKind: "token", TargetID: strconv.Itoa(id)}
	return audit.Tx(db, s.node.Config().NodeID, s.actor, e, func(tx *gorm.DB, e *audit.Entry) error {
		var rows []model.APIToken
		if err := tx.Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return errs.NotFound("id", "no API token with id %d", id)
		}
		e.Changes = []audit.Change{audit.Unset("name", rows[0].Name)}
		return tx.Delete(&model.APIToken{}, id).Error
	})
}

// Authenticate resolves a presented bearer token and records its use. The
// token matches as presented (ours with its prefix, or a 3x-ui v3 token)
// or, without the prefix, as ours with the prefix put back.
func (s *Tokens) Authenticate(token string) (*model.APIToken, error) {
	if token == "" || len(token) > 200 {
		return nil, ErrAPITokenInvalid
	}
	hashes := []string{HashAPIToken(token)}
	if !strings.HasPrefix(token, APITokenPrefix) {
		hashes = append(hashes, HashAPIToken(APITokenPrefix+token))
	}
	db, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	rec := &model.APIToken{}
	err = db.Where("token IN ?", hashes).First(rec).Error
	if database.IsNotFound(err) {
		return nil, ErrAPITokenInvalid
	}
	if err != nil {
		return nil, err
	}
	now := s.now().Unix()
	if rec.ExpiresAt > 0 && now >= rec.ExpiresAt {
		return nil, ErrAPITokenInvalid
	}
	if !rec.Enabled {
		return nil, ErrAPITokenDisabled
	}
	if rec.UserId == 0 {
		// A row from 3x-ui v3 names no user: v3 has one admin, so the
		// token acts as the first user (the one login seeds).
		var user model.User
		if err := db.Select("id").Order("id").First(&user).Error; err != nil {
			return nil, err
		}
		rec.UserId = user.Id
	}
	if now-rec.LastUsedAt >= int64(apiTokenTouchEvery/time.Second) {
		// Best effort: a failed touch (e.g. a read-only worker account)
		// must not refuse a valid token.
		if db.Model(&model.APIToken{}).Where("id = ?", rec.Id).Update("last_used_at", now).Error == nil {
			rec.LastUsedAt = now
		}
	}
	return rec, nil
}
