package notify

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database"
	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"gorm.io/gorm"
)

// cuttableProxy forwards TCP to a server until cut: then it drops every
// open connection and closes new ones at once, as a lost network does
// to a node's database connections.
type cuttableProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newCuttableProxy(t *testing.T, target string) *cuttableProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttableProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut(true) })
	go p.serve()
	return p
}

func (p *cuttableProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

// cut drops (down) or restores the link.
func (p *cuttableProxy) cut(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}

func (p *cuttableProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// A node whose network to MariaDB is cut records nothing while cut, and
// one db.unreachable with the outage's start and end once the link is
// back, then nothing more.
func TestDBUnreachableOverALostNetwork(t *testing.T) {
	t.Parallel()
	cfg := dbtest.NewMariaDB(t)
	proxy := newCuttableProxy(t, net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	cfg.Host, cfg.Port = "127.0.0.1", proxy.port()
	open := func() (*gorm.DB, error) { return database.Open(cfg, "master", "") }
	conn, err := open()
	if err != nil {
		t.Fatal(err)
	}
	h := database.NewHandle(conn, open)
	t.Cleanup(func() { h.Close() })
	rec := NewRecorder(h, "w1")
	clk := newClock()
	a := NewNodeAlerts(h, rec, time.Minute)
	a.now = clk.now
	a.CheckOnce(context.Background())
	start := clk.t
	proxy.cut(true)
	a.CheckOnce(context.Background())
	clk.advance(45 * time.Second)
	a.CheckOnce(context.Background())
	proxy.cut(false)
	a.CheckOnce(context.Background())
	a.CheckOnce(context.Background())
	evs := kindsOf(t, h, DBUnreachable)
	if len(evs) != 1 {
		t.Fatalf("%d db.unreachable events, want 1", len(evs))
	}
	var p struct {
		Since   string
		Seconds int64
		Error   string
	}
	if err := json.Unmarshal([]byte(evs[0].Payload), &p); err != nil || p.Seconds != 45 || p.Since != start.UTC().Format(time.RFC3339) || p.Error == "" {
		t.Fatalf("db.unreachable %s: want 45 s from %s with the error seen", evs[0].Payload, start.UTC().Format(time.RFC3339))
	}
}
