package multinode

import (
	"io"
	"net"
	"sync"
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
		go p.pipe(client, server)
		go p.pipe(server, client)
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

func (p *dbProxy) pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}
