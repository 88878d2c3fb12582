package multinode

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// dbProxy stands between one node and MariaDB. Cut makes MariaDB
// unreachable for that node exactly as a stopped server would look (every
// connection reset, new ones refused); Restore brings it back.
type dbProxy struct {
	addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}

	// Traffic through the proxy since it started: bytes each way and, for
	// a MariaDB target, the client's commands (see wireStats).
	stats wireStats
}

func startDBProxy(t testing.TB, listenAddr, target string) *dbProxy {
	t.Helper()
	p := &dbProxy{addr: listenAddr, target: target, conns: map[net.Conn]struct{}{}}
	if err := p.Restore(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Cut)
	return p
}

// Restore starts accepting again.
func (p *dbProxy) Restore() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.ln, p.addr = ln, ln.Addr().String()
	go p.accept(ln)
	return nil
}

// Cut closes the listener and every open connection.
func (p *dbProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]struct{}{}
}

func (p *dbProxy) accept(ln net.Listener) {
	for {
		client, err := ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		if !p.track(ln, client, server) {
			continue
		}
		go p.pipe(server, client, p.stats.fromClient())
		go p.pipe(client, server, &p.stats.toClient)
	}
}

// track registers a pair unless the proxy was cut meanwhile.
func (p *dbProxy) track(ln net.Listener, a, b net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != ln {
		a.Close()
		b.Close()
		return false
	}
	p.conns[a], p.conns[b] = struct{}{}, struct{}{}
	return true
}

// pipe copies src to dst, passing every chunk to count.
func (p *dbProxy) pipe(dst, src net.Conn, count chunkCounter) {
	_, _ = io.Copy(dst, countingReader{src, count})
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// chunkCounter sees every chunk that passes one way through the proxy.
type chunkCounter interface{ count(p []byte) }

type countingReader struct {
	r io.Reader
	c chunkCounter
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.c.count(p[:n])
	}
	return n, err
}

// byteCount counts bytes.
type byteCount struct{ n atomic.Int64 }

func (b *byteCount) count(p []byte) { b.n.Add(int64(len(p))) }

// wireStats is what passed through a proxy.
type wireStats struct {
	toClient byteCount // server -> client bytes
	up       byteCount // client -> server bytes
	// commands[c] counts MySQL client commands by command byte (0x03
	// COM_QUERY, 0x16 COM_STMT_PREPARE, 0x17 COM_STMT_EXECUTE, ...).
	commands [256]atomic.Int64
}

// fromClient returns a counter for one client connection's stream: it
// counts bytes and parses MySQL packet headers (3-byte length, 1-byte
// sequence number) to count the commands, which are the packets that
// open a new sequence (number 0).
func (w *wireStats) fromClient() chunkCounter { return &mysqlCommands{stats: w} }

type mysqlCommands struct {
	stats  *wireStats
	header [4]byte
	have   int // header bytes read so far
	remain int // payload bytes left in the current packet
	first  bool
}

func (m *mysqlCommands) count(p []byte) {
	m.stats.up.count(p)
	for len(p) > 0 {
		if m.remain == 0 {
			n := copy(m.header[m.have:], p)
			m.have += n
			p = p[n:]
			if m.have < 4 {
				return
			}
			m.have = 0
			m.remain = int(m.header[0]) | int(m.header[1])<<8 | int(m.header[2])<<16
			m.first = m.header[3] == 0
			continue
		}
		if m.first {
			m.stats.commands[p[0]].Add(1)
			m.first = false
		}
		n := min(m.remain, len(p))
		m.remain -= n
		p = p[n:]
	}
}

// wireSample is a copy of the counters at one moment.
type wireSample struct {
	Up, Down                int64 // bytes to and from MariaDB
	Query, Prepare, Execute int64 // COM_QUERY, COM_STMT_PREPARE, COM_STMT_EXECUTE
}

// Statements is what MariaDB's Questions counts for these commands.
func (s wireSample) Statements() int64 { return s.Query + s.Execute }

func (s wireSample) minus(o wireSample) wireSample {
	return wireSample{s.Up - o.Up, s.Down - o.Down, s.Query - o.Query, s.Prepare - o.Prepare, s.Execute - o.Execute}
}

func (s wireSample) plus(o wireSample) wireSample {
	return wireSample{s.Up + o.Up, s.Down + o.Down, s.Query + o.Query, s.Prepare + o.Prepare, s.Execute + o.Execute}
}

func (p *dbProxy) sample() wireSample {
	return wireSample{
		Up: p.stats.up.n.Load(), Down: p.stats.toClient.n.Load(),
		Query: p.stats.commands[0x03].Load(), Prepare: p.stats.commands[0x16].Load(), Execute: p.stats.commands[0x17].Load(),
	}
}
