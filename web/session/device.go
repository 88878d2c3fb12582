package session

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// DeviceCookieName marks a browser that logged in successfully before. The
// login limiter gives such a device its own bucket of attempts, so failed
// logins from elsewhere cannot lock its owner out.
const DeviceCookieName = "xui_device"

// DeviceMaxAge is how long a browser stays trusted after its last login.
const DeviceMaxAge = 30 * 24 * time.Hour

// deviceAD binds sealed device values to their cookie: a session cookie
// cannot be replayed as a device cookie or the other way round.
const deviceAD = DeviceCookieName

type deviceData struct {
	ID       string `json:"d"`
	Username string `json:"u"` // lower case
	Expires  int64  `json:"e"` // unix seconds
}

// IssueDevice sets the trusted-device cookie for username, keeping the
// device ID r already carries for it.
func (m *Manager) IssueDevice(w http.ResponseWriter, r *http.Request, username string) error {
	id := m.Device(r, username)
	if id == "" {
		id = randomToken(12)
	}
	d := deviceData{ID: id, Username: strings.ToLower(username), Expires: m.Now().Add(DeviceMaxAge).Unix()}
	plain, err := json.Marshal(d)
	if err != nil {
		return err
	}
	nonce := make([]byte, m.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	value := base64.RawURLEncoding.EncodeToString(m.aead.Seal(nonce, nonce, plain, []byte(deviceAD)))
	http.SetCookie(w, &http.Cookie{
		Name: DeviceCookieName, Value: value, Path: m.path, MaxAge: int(DeviceMaxAge / time.Second),
		HttpOnly: true, Secure: m.secure, SameSite: http.SameSiteStrictMode,
	})
	return nil
}

// Device is the ID of r's valid trusted-device cookie for username, or "".
func (m *Manager) Device(r *http.Request, username string) string {
	c, err := r.Cookie(DeviceCookieName)
	if err != nil || c.Value == "" {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(raw) < m.aead.NonceSize()+m.aead.Overhead() {
		return ""
	}
	nonce, sealed := raw[:m.aead.NonceSize()], raw[m.aead.NonceSize():]
	plain, err := m.aead.Open(nil, nonce, sealed, []byte(deviceAD))
	if err != nil {
		return ""
	}
	var d deviceData
	if json.Unmarshal(plain, &d) != nil || d.ID == "" || d.Username != strings.ToLower(username) || m.Now().Unix() >= d.Expires {
		return ""
	}
	return d.ID
}
