package multinode

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/mhsanaei/3x-ui/v2/settings"
	"github.com/mhsanaei/3x-ui/v2/web/service"
	"github.com/mhsanaei/3x-ui/v2/xray"
	"github.com/mhsanaei/3x-ui/v2/xrayconf"
	"github.com/mhsanaei/3x-ui/v2/xrayrun"
)

// opRecorder stands in for a simulated worker's Xray. It applies a
// snapshot the way the panel does up to the gRPC call: it renders the
// Xray config (xrayconf.Render) and plans the live operations against the
// config it "runs" (xrayrun.PlanOps), then records when each client
// became accepted or refused instead of calling Xray.
type opRecorder struct {
	mu       sync.Mutex
	running  *xray.Config
	clients  map[string]bool // emails the running config accepts
	accepted map[string]time.Time
	refused  map[string]time.Time
	restarts int // applies that would start or restart Xray
	liveOps  int64
	applies  int
	applyDur time.Duration // render + plan, summed over applies
	bookDur  time.Duration // the recorder's own bookkeeping, summed
}

func newOpRecorder() *opRecorder {
	return &opRecorder{clients: map[string]bool{}, accepted: map[string]time.Time{}, refused: map[string]time.Time{}}
}

// apply is the simulated worker's service.NodeSyncDeps.Apply.
func (r *opRecorder) apply(s *service.SharedAccountsSnapshot) error {
	start := time.Now()
	template := s.XrayTemplate
	if template == "" {
		template = settings.DefaultXrayTemplate
	}
	cfg, err := xrayconf.Render(template, s.Inbounds)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ops, live := xrayrun.PlanOps(r.running, cfg)
	now := time.Now()
	next := configClients(cfg)
	defer func() { r.bookDur += time.Since(now) }()
	r.applies++
	r.applyDur += now.Sub(start)
	if !live {
		r.restarts++
	} else {
		r.liveOps += int64(len(ops))
	}
	for email := range next {
		if !r.clients[email] {
			r.accepted[email] = now
		}
	}
	for email := range r.clients {
		if !next[email] {
			r.refused[email] = now
		}
	}
	// A changed client (new id, flow, ...) is removed and re-added: it
	// accepts its new credentials from now on.
	for _, op := range ops {
		if len(op) > len("add user ") && op[:len("add user ")] == "add user " {
			r.accepted[op[len("add user "):]] = now
		}
	}
	r.running, r.clients = cfg, next
	return nil
}

// answer reports when the recorded Xray last started accepting (want
// true) or refusing (want false) email at or after since.
func (r *opRecorder) answer(email string, want bool, since time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.refused[email]
	if want {
		at, ok = r.accepted[email]
	}
	if !ok || at.Before(since) || r.clients[email] != want {
		return time.Time{}, false
	}
	return at, true
}

// stats returns the recorder's counters.
func (r *opRecorder) stats() (restarts int, liveOps int64, applies int, applyDur time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.restarts, r.liveOps, r.applies, r.applyDur
}

// bookkeeping is the time the recorder spent on itself (not part of what
// a real worker does), so timings of a whole sync can leave it out.
func (r *opRecorder) bookkeeping() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bookDur
}

// configClients lists the emails a rendered config lets in.
func configClients(cfg *xray.Config) map[string]bool {
	out := map[string]bool{}
	for _, ic := range cfg.InboundConfigs {
		var doc struct {
			Clients []struct {
				Email string `json:"email"`
			} `json:"clients"`
		}
		if json.Unmarshal(ic.Settings, &doc) != nil {
			continue
		}
		for _, c := range doc.Clients {
			out[c.Email] = true
		}
	}
	return out
}
