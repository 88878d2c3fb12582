// Package session issues and reads the panel's login cookie. The cookie is
// sealed with AES-256-GCM under a key derived from the node's secret, so its
// content is both encrypted and authenticated (GCM's tag signs it): a client
// can neither read nor forge it.
package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

const (
	// CookieName holds the sealed session: 3x-ui v3's name, so its SDKs
	// and scripts find the cookie they expect.
	CookieName = "3x-ui"
	// LegacyCookieName held the session before the cookie took v3's name.
	// A logged-in session under it is still accepted until it expires, so
	// an upgrade does not log everyone out; logins and logouts clear it.
	LegacyCookieName = "xui_session"
	// CSRFCookieName holds the session's CSRF token, readable by page scripts.
	CSRFCookieName = "xui_csrf"
	// CSRFHeader must repeat the CSRF token on cookie-authenticated writes.
	CSRFHeader = "X-CSRF-Token"
	// CSRFFormField carries the token in a form body instead (3x-ui v3's
	// name), for clients that cannot set headers.
	CSRFFormField = "_csrf"

	keyInfo = "x-ui session cookie v1"
	// sealAD binds a sealed value to the session cookie. It kept the
	// cookie's old name when the cookie was renamed, so values sealed
	// before the rename still open.
	sealAD = LegacyCookieName
)

var (
	// ErrNoSession means the request carries no session cookie.
	ErrNoSession = errors.New("not logged in")
	// ErrInvalid means the cookie was tampered with or sealed under another secret.
	ErrInvalid = errors.New("invalid session")
	// ErrExpired means the session is older than the configured max age.
	ErrExpired = errors.New("session expired")
)

// Data is what a session cookie carries.
type Data struct {
	ID      string `json:"n"` // random, so a logout can revoke this session
	UserID  int    `json:"u"`
	Issued  int64  `json:"i"` // unix seconds
	Expires int64  `json:"e"` // unix seconds
	CSRF    string `json:"c"`
	// Cred fingerprints the user's password hash and username, so changing
	// either ends every session issued before.
	Cred string `json:"k"`
}

// Manager seals, reads and clears session cookies.
type Manager struct {
	aead   cipher.AEAD
	maxAge time.Duration
	path   string
	secure bool
	// Now is the clock; tests replace it to expire sessions.
	Now func() time.Time

	// Store keeps revocations where every node sees them and a restart
	// does not forget them (the shared database); nil keeps them in
	// memory only.
	Store RevocationStore

	// revoked holds logged-out session IDs until they would expire anyway:
	// this node honours its own logouts even while Store is unreachable.
	mu      sync.Mutex
	revoked map[string]int64
}

// RevocationStore records logged-out sessions outside this process.
type RevocationStore interface {
	// RevokeSession marks id as logged out until expires (unix seconds).
	RevokeSession(id string, expires int64) error
	// SessionRevoked reports whether id was logged out.
	SessionRevoked(id string) (bool, error)
}

// NewManager derives the cookie key from secret. path scopes the cookies
// (the panel's base path); secure marks them Secure (panel served over TLS).
func NewManager(secret string, maxAge time.Duration, path string, secure bool) (*Manager, error) {
	if len(secret) < 16 {
		return nil, fmt.Errorf("secret: must be at least 16 characters")
	}
	if maxAge <= 0 {
		return nil, fmt.Errorf("sessionMaxAge: must be positive")
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, keyInfo, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if path == "" {
		path = "/"
	}
	return &Manager{aead: aead, maxAge: maxAge, path: path, secure: secure, Now: time.Now}, nil
}

// MaxAge is how long a session lasts.
func (m *Manager) MaxAge() time.Duration { return m.maxAge }

// Issue starts a session for userID with a fresh CSRF token and sets both
// cookies.
func (m *Manager) Issue(w http.ResponseWriter, userID int, cred string) (*Data, error) {
	return m.IssueWithCSRF(w, userID, cred, "")
}

// IssueWithCSRF is Issue keeping csrf as the session's CSRF token ("" makes
// a fresh one): a 3x-ui v3 client fetches a token before login and keeps
// using it afterwards. The session ID is always fresh.
func (m *Manager) IssueWithCSRF(w http.ResponseWriter, userID int, cred, csrf string) (*Data, error) {
	if csrf == "" {
		csrf = randomToken(24)
	}
	now := m.Now()
	d := &Data{
		ID:      randomToken(12),
		UserID:  userID,
		Issued:  now.Unix(),
		Expires: now.Add(m.maxAge).Unix(),
		CSRF:    csrf,
		Cred:    cred,
	}
	if err := m.setSession(w, d); err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{
		Name: CSRFCookieName, Value: d.CSRF, Path: m.path, MaxAge: int(m.maxAge / time.Second),
		Secure: m.secure, SameSite: http.SameSiteLaxMode,
	})
	m.clear(w, LegacyCookieName)
	return d, nil
}

// setSession seals d into the session cookie.
func (m *Manager) setSession(w http.ResponseWriter, d *Data) error {
	value, err := m.Seal(d)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: value, Path: m.path, MaxAge: int(m.maxAge / time.Second),
		HttpOnly: true, Secure: m.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// CSRFToken answers the CSRF token of r's session, logged in or not. A
// request without one gets a pre-login session (user 0, no rights): the
// cookie that carries the token to POST login, as 3x-ui v3's
// GET csrf-token does. Nothing is stored server-side for it.
func (m *Manager) CSRFToken(w http.ResponseWriter, r *http.Request) (string, error) {
	// A logged-in session first, so one under the legacy name answers
	// its own token rather than getting a pre-login one beside it.
	if d, err := m.loadLocal(r); err == nil {
		return d.CSRF, nil
	}
	if d, err := m.LoadAny(r); err == nil {
		return d.CSRF, nil
	}
	now := m.Now()
	d := &Data{
		ID:      randomToken(12),
		Issued:  now.Unix(),
		Expires: now.Add(m.maxAge).Unix(),
		CSRF:    randomToken(32),
	}
	if err := m.setSession(w, d); err != nil {
		return "", err
	}
	return d.CSRF, nil
}

// LoadAny reads r's session cookie whether it is logged in or pre-login
// (UserID 0), without asking Store: callers use only its CSRF token.
func (m *Manager) LoadAny(r *http.Request) (*Data, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, ErrNoSession
	}
	d, err := m.open(c.Value)
	if err != nil {
		return nil, err
	}
	if m.Now().Unix() >= d.Expires {
		return nil, ErrExpired
	}
	return d, nil
}

// Load reads and verifies the session cookie of r, and checks it was not
// logged out on this node or (through Store) on any other.
func (m *Manager) Load(r *http.Request) (*Data, error) {
	d, err := m.loadLocal(r)
	if err != nil {
		return nil, err
	}
	if m.Store != nil {
		// Fails closed: a session that cannot be checked is not accepted.
		revoked, err := m.Store.SessionRevoked(d.ID)
		if err != nil {
			return nil, fmt.Errorf("check session revocation: %w", err)
		}
		if revoked {
			return nil, ErrNoSession
		}
	}
	return d, nil
}

// loadLocal is Load without asking Store. It reads the session cookie,
// or failing a logged-in session there, the legacy one.
func (m *Manager) loadLocal(r *http.Request) (*Data, error) {
	d, err := m.loadNamed(r, CookieName)
	if errors.Is(err, ErrNoSession) || errors.Is(err, ErrInvalid) {
		if old, oldErr := m.loadNamed(r, LegacyCookieName); oldErr == nil || !errors.Is(oldErr, ErrNoSession) {
			d, err = old, oldErr
		}
	}
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	_, revoked := m.revoked[d.ID]
	m.mu.Unlock()
	if revoked {
		return nil, ErrNoSession
	}
	return d, nil
}

// loadNamed opens the logged-in session in cookie name; a pre-login
// session there counts as none.
func (m *Manager) loadNamed(r *http.Request, name string) (*Data, error) {
	c, err := r.Cookie(name)
	if err != nil || c.Value == "" {
		return nil, ErrNoSession
	}
	d, err := m.Open(c.Value)
	if err != nil {
		if errors.Is(err, errPreLogin) {
			return nil, ErrNoSession
		}
		return nil, err
	}
	if m.Now().Unix() >= d.Expires {
		return nil, ErrExpired
	}
	return d, nil
}

// Revoke makes r's session unusable (logout) and clears its cookies. The
// error is the Store's: the session is still revoked on this node.
func (m *Manager) Revoke(w http.ResponseWriter, r *http.Request) error {
	var storeErr error
	if d, err := m.loadLocal(r); err == nil {
		now := m.Now().Unix()
		m.mu.Lock()
		if m.revoked == nil {
			m.revoked = map[string]int64{}
		}
		for id, exp := range m.revoked {
			if exp <= now {
				delete(m.revoked, id)
			}
		}
		m.revoked[d.ID] = d.Expires
		m.mu.Unlock()
		if m.Store != nil {
			storeErr = m.Store.RevokeSession(d.ID, d.Expires)
		}
	}
	m.Clear(w)
	return storeErr
}

// Clear removes the session cookies (the legacy one too).
func (m *Manager) Clear(w http.ResponseWriter) {
	for _, name := range []string{CookieName, LegacyCookieName, CSRFCookieName} {
		m.clear(w, name)
	}
}

func (m *Manager) clear(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: m.path, MaxAge: -1, Expires: time.Unix(1, 0),
		HttpOnly: name != CSRFCookieName, Secure: m.secure, SameSite: http.SameSiteLaxMode,
	})
}

// Seal encrypts and authenticates d into a cookie value.
func (m *Manager) Seal(d *Data) (string, error) {
	plain, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, m.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	// The cookie name is additional data: a value cannot be replayed under
	// another cookie sealed with the same key.
	sealed := m.aead.Seal(nonce, nonce, plain, []byte(sealAD))
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// errPreLogin is a valid pre-login session where a logged-in one is needed.
var errPreLogin = errors.New("pre-login session")

// Open verifies and decrypts a logged-in session's cookie value.
func (m *Manager) Open(value string) (*Data, error) {
	d, err := m.open(value)
	if err != nil {
		return nil, err
	}
	if d.UserID == 0 {
		return nil, errPreLogin
	}
	return d, nil
}

// open verifies and decrypts a cookie value, pre-login sessions included.
func (m *Manager) open(value string) (*Data, error) {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < m.aead.NonceSize()+m.aead.Overhead() {
		return nil, ErrInvalid
	}
	nonce, sealed := raw[:m.aead.NonceSize()], raw[m.aead.NonceSize():]
	plain, err := m.aead.Open(nil, nonce, sealed, []byte(sealAD))
	if err != nil {
		return nil, ErrInvalid
	}
	d := &Data{}
	if err := json.Unmarshal(plain, d); err != nil || d.UserID < 0 {
		return nil, ErrInvalid
	}
	return d, nil
}

// CheckCSRF compares a presented token with the session's in constant time.
func (d *Data) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(d.CSRF)) == 1
}

// Fingerprint identifies a user's current credentials without revealing them.
func Fingerprint(username, passwordHash string) string {
	sum := sha256.Sum256([]byte(username + "\x00" + passwordHash))
	return hex.EncodeToString(sum[:8])
}

// NewSecret returns a fresh random node secret.
func NewSecret() string { return randomToken(32) }

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
