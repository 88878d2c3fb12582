package nodepush

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mhsanaei/3x-ui/v2/cluster"
	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/model"
	"gorm.io/gorm"
)

// pushTimeout bounds one wake-up; a slow or unreachable worker polls.
const pushTimeout = 2 * time.Second

// Pusher wakes live workers after each change. Kicks coalesce: while a
// round runs, further kicks cause exactly one more round.
type Pusher struct {
	conn       func() (*gorm.DB, error)
	liveWithin time.Duration // a worker with an older heartbeat is not pushed
	client     *http.Client
	kick       chan struct{}

	Sent, Failed atomic.Int64 // pushes answered 2xx / not, for status and tests

	mu      sync.Mutex
	lastErr map[string]string // node id -> last push failure
	// observed is told each round's duration (nil: nobody).
	observed func(took time.Duration)
}

// NewPusher pushes to workers whose heartbeat is younger than liveWithin.
func NewPusher(liveWithin time.Duration) *Pusher { return NewPusherObserved(liveWithin, nil) }

// NewPusherObserved is NewPusher telling observed how long each round
// that reached workers took (the metrics' push latency).
func NewPusherObserved(liveWithin time.Duration, observed func(took time.Duration)) *Pusher {
	return &Pusher{
		observed:   observed,
		conn:       database.Reconnect,
		liveWithin: liveWithin,
		// Worker panels often use self-signed certificates. Skipping the
		// check is safe here: the secret only lets its holder make a
		// worker sync sooner, which the worker's poll does anyway.
		client: &http.Client{Timeout: pushTimeout, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
		}},
		kick:    make(chan struct{}, 1),
		lastErr: map[string]string{},
	}
}

// Kick asks for a push round soon; it never blocks.
func (p *Pusher) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Run pushes once per kick until ctx ends.
func (p *Pusher) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
			p.PushOnce(ctx)
		}
	}
}

// LastError is the last push failure for a node ("" when its last push
// succeeded or none was tried).
func (p *Pusher) LastError(nodeID string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr[nodeID]
}

// PushOnce sends the current version to every live worker in parallel.
func (p *Pusher) PushOnce(ctx context.Context) {
	conn, err := p.conn()
	if err != nil {
		log.Printf("node push: %v", err)
		return
	}
	version, err := database.GetSharedAccountsVersion(conn)
	if err != nil {
		log.Printf("node push: %v", err)
		return
	}
	secret, err := LoadSecret(conn)
	if err != nil || secret == "" {
		log.Printf("node push: no cluster secret (%v)", err)
		return
	}
	var workers []model.NodeState
	since := time.Now().Add(-p.liveWithin).Unix()
	if err := conn.Where("node_role = ? AND push_url <> ? AND last_heartbeat_at >= ? AND last_seen_version < ?",
		"worker", "", since, version).Find(&workers).Error; err != nil {
		log.Printf("node push: list workers: %v", err)
		return
	}
	// Push only to a URL that came signed by the node's registered key: a
	// row forged by a worker's database account gets no request (and no
	// cluster secret) from the master.
	if workers, err = cluster.TrustedNodeStates(conn, workers, true); err != nil {
		log.Printf("node push: %v", err)
		return
	}
	body, _ := json.Marshal(map[string]int64{"version": version})
	if p.observed != nil && len(workers) > 0 {
		start := time.Now()
		defer func() { p.observed(time.Since(start)) }()
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func(w model.NodeState) {
			defer wg.Done()
			err := p.push(ctx, w.PushURL, secret, body)
			p.mu.Lock()
			if err != nil {
				p.Failed.Add(1)
				p.lastErr[w.NodeID] = err.Error()
			} else {
				p.Sent.Add(1)
				delete(p.lastErr, w.NodeID)
			}
			p.mu.Unlock()
		}(w)
	}
	wg.Wait()
}

func (p *Pusher) push(ctx context.Context, base, secret string, body []byte) error {
	url := strings.TrimRight(base, "/") + "/" + Path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(Header, secret)
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("push to %s: HTTP %d", url, resp.StatusCode)
	}
	return nil
}
