package xraytest

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

const (
	maxPayload = 1 << 30 // largest n the payload server accepts
	slowTick   = 50 * time.Millisecond
)

// StartPayloadServer serves, on addr ("" = a free 127.0.0.1 port):
//
//	/bytes?n=N               N bytes at full speed (a POST body is read and dropped)
//	/slow?n=N&rate=BPS       N bytes at about BPS bytes per second
//
// It returns the base URL ("http://127.0.0.1:port") and closes itself, and
// every open stream, on t.Cleanup.
func StartPayloadServer(t testing.TB, addr string) string {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("xraytest: payload server listen %s: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/bytes", serveBytes)
	mux.HandleFunc("/slow", serveSlow)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

func queryInt(r *http.Request, key string, max int64) (int64, error) {
	v, err := strconv.ParseInt(r.URL.Query().Get(key), 10, 64)
	if err != nil || v < 0 || v > max {
		return 0, errors.New(key + " must be an integer between 0 and " + strconv.FormatInt(max, 10))
	}
	return v, nil
}

// pattern is the repeating body content; deterministic so tests can check it.
var pattern = func() []byte {
	b := make([]byte, 32<<10)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}()

func serveBytes(w http.ResponseWriter, r *http.Request) {
	// Read any uploaded body first so the reply never races the upload.
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxPayload))
	n, err := queryInt(r, "n", maxPayload)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	w.Header().Set("Content-Type", "application/octet-stream")
	for n > 0 {
		chunk := pattern
		if int64(len(chunk)) > n {
			chunk = chunk[:n]
		}
		if _, err := w.Write(chunk); err != nil {
			return
		}
		n -= int64(len(chunk))
	}
}

func serveSlow(w http.ResponseWriter, r *http.Request) {
	n, err := queryInt(r, "n", maxPayload)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rate, err := queryInt(r, "rate", maxPayload)
	if err != nil || rate == 0 {
		http.Error(w, "rate must be a positive integer (bytes per second)", http.StatusBadRequest)
		return
	}
	perTick := rate * int64(slowTick) / int64(time.Second)
	if perTick < 1 {
		perTick = 1
	}
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	w.Header().Set("Content-Type", "application/octet-stream")
	flusher, _ := w.(http.Flusher)
	tick := time.NewTicker(slowTick)
	defer tick.Stop()
	for n > 0 {
		chunk := min(perTick, n)
		for sent := int64(0); sent < chunk; {
			part := pattern[:min(int64(len(pattern)), chunk-sent)]
			if _, err := w.Write(part); err != nil {
				return
			}
			sent += int64(len(part))
		}
		n -= chunk
		if flusher != nil {
			flusher.Flush()
		}
		if n == 0 {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}
