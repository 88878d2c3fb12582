package nodepush

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
)

// secretRefresh bounds how often a wrong secret makes the worker re-read
// the secret from the database (it may have been created after our read).
const secretRefresh = 5 * time.Second

// Receiver is the worker side: it checks the secret and wakes the sync.
type Receiver struct {
	wake   func()
	loaded func() (string, error)

	mu       sync.Mutex
	secret   string
	loadedAt time.Time
}

// NewReceiver calls wake (which must not block) for each valid push.
// The secret is read from db, reopened if the worker started without it.
func NewReceiver(db *database.Handle, wake func()) *Receiver {
	return &Receiver{wake: wake, loaded: func() (string, error) {
		conn, err := db.Reconnect()
		if err != nil {
			return "", err
		}
		return LoadSecret(conn)
	}}
}

// Accept validates a push's secret; the cached secret is re-read at most
// every secretRefresh, so a flood of bad pushes cannot load the database.
func (r *Receiver) Accept(got string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if secretMatches(got, r.secret) {
		return true
	}
	if time.Since(r.loadedAt) < secretRefresh {
		return false
	}
	r.loadedAt = time.Now()
	if s, err := r.loaded(); err == nil {
		r.secret = s
	}
	return secretMatches(got, r.secret)
}

// ServeHTTP answers 202 after waking the sync, 403 on a bad secret.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if !r.Accept(req.Header.Get(Header)) {
		http.Error(w, ErrBadSecret.Error(), http.StatusForbidden)
		return
	}
	var body struct {
		Version int64 `json:"version"`
	}
	_ = json.NewDecoder(io.LimitReader(req.Body, 1<<10)).Decode(&body)
	r.wake()
	w.WriteHeader(http.StatusAccepted)
}
