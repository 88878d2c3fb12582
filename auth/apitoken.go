package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"github.com/mhsanaei/3x-ui/v2/errs"
)

// APITokenPrefix starts every API token, so a leaked token is recognisable
// by secret scanners.
const APITokenPrefix = "xui_"

// apiTokenTouchEvery limits last-used writes to one per token per minute, so
// a busy script does not turn every API read into a database write.
const apiTokenTouchEvery = time.Minute

// ErrAPITokenInvalid is an unknown or revoked bearer token.
var ErrAPITokenInvalid = errors.New("invalid or revoked API token")

// Tokens manages bearer tokens for scripts. The zero value is ready.
type Tokens struct {
	// Now is the clock (tests replace it); nil means time.Now.
	Now func() time.Time

	db   *database.Handle
	node *cluster.Node // refuses writes on a worker
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
func (s *Tokens) List() ([]model.APIToken, error) {
	db, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var tokens []model.APIToken
	err = db.Order("id desc").Find(&tokens).Error
	return tokens, err
}

// Create makes a token for userID; the returned plain token is shown once.
func (s *Tokens) Create(userID int, name string) (string, *model.APIToken, error) {
	return s.CreateExpiring(userID, name, 0)
}

// MaxAPITokenDays bounds a token's lifetime when one is given.
const MaxAPITokenDays = 3650

// CreateExpiring is Create with a lifetime in days (0 = no expiry).
func (s *Tokens) CreateExpiring(userID int, name string, days int) (string, *model.APIToken, error) {
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
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", nil, err
	}
	plain := APITokenPrefix + base64.RawURLEncoding.EncodeToString(secret)
	rec := &model.APIToken{
		UserId:    userID,
		Name:      name,
		TokenHash: HashAPIToken(plain),
		Prefix:    plain[:len(APITokenPrefix)+6],
		CreatedAt: s.now().Unix(),
	}
	if days > 0 {
		rec.ExpiresAt = s.now().Add(time.Duration(days) * 24 * time.Hour).Unix()
	}
	if err := db.Create(rec).Error; err != nil {
		return "", nil, err
	}
	return plain, rec, nil
}

// Revoke deletes a token; requests using it fail from then on.
func (s *Tokens) Revoke(id int) error {
	if err := s.node.RequireMaster(); err != nil {
		return err
	}
	if id <= 0 {
		return errs.Invalid("id", "must be a positive token id")
	}
	db, err := s.db.DB()
	if err != nil {
		return err
	}
	res := db.Delete(&model.APIToken{}, id)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return errs.NotFound("id", "no API token with id %d", id)
	}
	return nil
}

// Authenticate resolves a presented bearer token and records its use.
func (s *Tokens) Authenticate(token string) (*model.APIToken, error) {
	if !strings.HasPrefix(token, APITokenPrefix) || len(token) > 200 {
		return nil, ErrAPITokenInvalid
	}
	db, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	rec := &model.APIToken{}
	err = db.Where("token_hash = ?", HashAPIToken(token)).First(rec).Error
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
	if now-rec.LastUsedAt >= int64(apiTokenTouchEvery/time.Second) {
		// Best effort: a failed touch (e.g. a read-only worker account)
		// must not refuse a valid token.
		if db.Model(rec).Update("last_used_at", now).Error == nil {
			rec.LastUsedAt = now
		}
	}
	return rec, nil
}
