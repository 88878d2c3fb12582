package xraytest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// downloadTimeout bounds one Download.
const downloadTimeout = 60 * time.Second

// DialSOCKS opens a TCP connection to target ("host:port") through the
// SOCKS5 server at socksAddr (no authentication, CONNECT only).
func DialSOCKS(ctx context.Context, socksAddr, target string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(target)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 || port > 65535 {
		return nil, fmt.Errorf("socks: bad port in %q", target)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", socksAddr)
	if err != nil {
		return nil, fmt.Errorf("socks: dial %s: %w", socksAddr, err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if err := socksHandshake(conn, host, port); err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}

func socksHandshake(conn net.Conn, host string, port int) error {
	if _, err := conn.Write([]byte{5, 1, 0}); err != nil {
		return fmt.Errorf("socks: greeting: %w", err)
	}
	var reply [2]byte
	if _, err := io.ReadFull(conn, reply[:]); err != nil {
		return fmt.Errorf("socks: greeting reply: %w", err)
	}
	if reply[0] != 5 || reply[1] != 0 {
		return fmt.Errorf("socks: server refused no-auth (reply %v)", reply)
	}
	req := []byte{5, 1, 0}
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		req = append(append(req, 1), ip.To4()...)
	} else if ip != nil {
		req = append(append(req, 4), ip.To16()...)
	} else {
		if len(host) > 255 {
			return fmt.Errorf("socks: host name too long")
		}
		req = append(append(req, 3, byte(len(host))), host...)
	}
	req = binary.BigEndian.AppendUint16(req, uint16(port))
	if _, err := conn.Write(req); err != nil {
		return fmt.Errorf("socks: connect request: %w", err)
	}
	var head [4]byte
	if _, err := io.ReadFull(conn, head[:]); err != nil {
		return fmt.Errorf("socks: connect reply: %w", err)
	}
	if head[1] != 0 {
		return fmt.Errorf("socks: connect to %s:%d failed (reply code %d)", host, port, head[1])
	}
	var skip int
	switch head[3] {
	case 1:
		skip = 4
	case 4:
		skip = 16
	case 3:
		var l [1]byte
		if _, err := io.ReadFull(conn, l[:]); err != nil {
			return fmt.Errorf("socks: connect reply: %w", err)
		}
		skip = int(l[0])
	default:
		return fmt.Errorf("socks: bad address type %d in reply", head[3])
	}
	if _, err := io.ReadFull(conn, make([]byte, skip+2)); err != nil {
		return fmt.Errorf("socks: connect reply: %w", err)
	}
	return nil
}

func socksHTTPClient(socksAddr string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return DialSOCKS(ctx, socksAddr, addr)
		},
		DisableKeepAlives: true, // every download is its own proxied connection
	}}
}

// Download fetches url through the SOCKS5 proxy at socksAddr and returns
// the body size; a short body or a non-200 status is an error.
func Download(socksAddr, url string) (int64, error) {
	return DownloadWithin(socksAddr, url, downloadTimeout)
}

// DownloadWithin is Download bounded by timeout, for connections expected
// to be refused (Xray drains a rejected VMess/Shadowsocks handshake for a
// few seconds before closing it).
func DownloadWithin(socksAddr, url string, timeout time.Duration) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var n atomic.Int64
	err := fetch(ctx, socksAddr, url, 0, &n)
	return n.Load(), err
}

// Exchange POSTs upload bytes to url through socksAddr, then reads the whole
// response like Download. Xray drains a rejected VMess/Shadowsocks
// handshake until it has read a few KB before closing, so sending a body
// makes a refused connection fail promptly instead of hanging.
func Exchange(socksAddr, url string, upload int64, timeout time.Duration) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var n atomic.Int64
	err := fetch(ctx, socksAddr, url, upload, &n)
	return n.Load(), err
}

func fetch(ctx context.Context, socksAddr, url string, upload int64, n *atomic.Int64) error {
	method, body := http.MethodGet, io.Reader(nil)
	if upload > 0 {
		method, body = http.MethodPost, io.LimitReader(zeroReader{}, upload)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	if upload > 0 {
		req.ContentLength = upload
	}
	resp, err := socksHTTPClient(socksAddr).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download %s: status %s", url, resp.Status)
	}
	buf := make([]byte, 32<<10)
	for {
		k, err := resp.Body.Read(buf)
		n.Add(int64(k))
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("download %s after %d bytes: %w", url, n.Load(), err)
		}
	}
	if resp.ContentLength >= 0 && n.Load() != resp.ContentLength {
		return fmt.Errorf("download %s: got %d of %d bytes", url, n.Load(), resp.ContentLength)
	}
	return nil
}

// RunningDownload is a download streaming in the background.
type RunningDownload struct {
	received atomic.Int64
	cancel   context.CancelFunc
	done     chan struct{}
	err      error // set before done is closed
}

// StartDownload starts fetching url through socksAddr in the background
// (use /slow for a long-running stream). Stop it when done; it is also
// bounded by its context only, so always call Stop.
func StartDownload(socksAddr, url string) *RunningDownload {
	ctx, cancel := context.WithCancel(context.Background())
	d := &RunningDownload{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		d.err = fetch(ctx, socksAddr, url, 0, &d.received)
	}()
	return d
}

// Bytes is how much has arrived so far.
func (d *RunningDownload) Bytes() int64 { return d.received.Load() }

// Done reports whether the download has ended (finished, failed or stopped).
func (d *RunningDownload) Done() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// Err is the download's error once Done (nil while running or on success).
func (d *RunningDownload) Err() error {
	if !d.Done() {
		return nil
	}
	return d.err
}

// WaitBytes waits until at least n bytes arrived; false if the download
// ended or within passed first.
func (d *RunningDownload) WaitBytes(n int64, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if d.Bytes() >= n {
			return true
		}
		if d.Done() {
			return d.Bytes() >= n
		}
		time.Sleep(20 * time.Millisecond)
	}
	return d.Bytes() >= n
}

// Flowing reports whether new bytes arrive within the given window while
// the download is still running.
func (d *RunningDownload) Flowing(within time.Duration) bool {
	start := d.Bytes()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if d.Done() {
			return false
		}
		if d.Bytes() > start {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// Stop cancels the download and waits for it; it returns the bytes received
// and the error the download ended with (nil if it finished before Stop,
// a context-canceled error if Stop cut it short).
func (d *RunningDownload) Stop() (int64, error) {
	d.cancel()
	<-d.done
	return d.Bytes(), d.err
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
