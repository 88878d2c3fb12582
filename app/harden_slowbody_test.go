package app

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mhsanaei/3x-ui/v2/database/dbtest"
	"github.com/mhsanaei/3x-ui/v2/web"
	"github.com/mhsanaei/3x-ui/v2/web/middleware"
)

// slowBodyBound is the test's own generous limit for the server to act; it
// is not a performance threshold (the server acts within the grace).
const slowBodyBound = 60 * time.Second

// servePanel serves h with the panel's real http.Server settings on a
// free loopback port.
func servePanel(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := web.NewHTTPServer(h)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return ln.Addr().String()
}

// rawRequest opens a connection and sends a request head announcing a
// body of length bytes (none sent yet).
func rawRequest(t *testing.T, addr, method, path string, length int, extra string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n",
		method, path, addr, length, extra)
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	return conn
}

// TestSlowBodiesAreClosed (issue 22, finding 5): 20 connections that
// trickle a login body one byte at a time are all closed by the server,
// while the client is still willing to send.
func TestSlowBodiesAreClosed(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	env := newEnvWith(t, dbtest.New(t, dbtest.SQLite), Options{
		BodyRate: middleware.BodyRate{Grace: 500 * time.Millisecond, MinBytesPerSecond: 1 << 10},
	})
	addr := servePanel(t, env.h)
	const conns = 20
	var wg sync.WaitGroup
	closed := make(chan int, conns)
	for i := 0; i < conns; i++ {
		conn := rawRequest(t, addr, "POST", testBase+"login", 100000, "")
		wg.Add(1)
		go func(i int, conn net.Conn) {
			defer wg.Done()
			stop := make(chan struct{})
			go func() { // trickle until the server hangs up
				for {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
					}
					if _, err := conn.Write([]byte("{")); err != nil {
						return
					}
				}
			}()
			defer close(stop)
			_ = conn.SetReadDeadline(time.Now().Add(slowBodyBound))
			_, err := io.Copy(io.Discard, conn) // returns when the server closes
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return // still open at the bound: reported below
			}
			closed <- i
		}(i, conn)
	}
	wg.Wait()
	close(closed)
	n := 0
	for range closed {
		n++
	}
	if n != conns {
		t.Fatalf("%d of %d trickling connections were still open after %s", conns-n, conns, slowBodyBound)
	}
}

// TestUnauthenticatedBodyAnsweredFirst (issue 22, finding 5): a request
// with an unread body gets its error answer at once and the connection
// closes, without a single body byte sent. The body grace is an hour here,
// so only not waiting for the body can pass within the test's bound.
func TestUnauthenticatedBodyAnsweredFirst(t *testing.T) {
	t.Parallel() // own database, App and ports, nothing process-wide
	env := newEnvWith(t, dbtest.New(t, dbtest.SQLite), Options{
		BodyRate: middleware.BodyRate{Grace: time.Hour, MinBytesPerSecond: 1},
	})
	addr := servePanel(t, env.h)
	cases := []struct {
		name, path string
		want       int
	}{
		{"API write without a session", testBase + "panel/api/inbounds/add", http.StatusUnauthorized},
		{"API write with a bad token", testBase + "panel/api/inbounds/add", http.StatusUnauthorized},
		{"push to a node that takes none", testBase + "node/sync", http.StatusNotFound},
		{"unknown route", testBase + "no/such/route", http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			extra := ""
			if strings.Contains(tc.name, "token") {
				extra = "Authorization: Bearer not-a-token\r\n"
			}
			// Under 256 KiB: the size net/http would drain before answering.
			conn := rawRequest(t, addr, "POST", tc.path, 200<<10, extra)
			_ = conn.SetReadDeadline(time.Now().Add(slowBodyBound))
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer before any body byte: %v", err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if _, err := br.ReadByte(); err != io.EOF {
				t.Fatalf("connection not closed after the answer: %v", err)
			}
		})
	}
}
