package middleware

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// serveBodyRate serves a gin engine with rate r in front of handler on a
// real loopback server.
func serveBodyRate(t *testing.T, r BodyRate, handler gin.HandlerFunc) string {
	t.Helper()
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	engine.Use(r.Handler())
	engine.POST("/upload", handler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: engine, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/upload"
}

// TestBodyRateLetsFastBodiesAndLongHandlersThrough: a body sent at full
// speed is read whole, and a handler that works long after the body is in
// (a restore) keeps its request context: the body deadline ends with the
// body.
func TestBodyRateLetsFastBodiesAndLongHandlersThrough(t *testing.T) {
	rate := BodyRate{Grace: 100 * time.Millisecond, MinBytesPerSecond: 1 << 10}
	url := serveBodyRate(t, rate, func(c *gin.Context) {
		n, err := io.Copy(io.Discard, c.Request.Body)
		if err != nil {
			c.String(http.StatusBadRequest, err.Error())
			return
		}
		time.Sleep(5 * rate.Grace) // work well past the body's deadline
		if err := c.Request.Context().Err(); err != nil {
			c.String(http.StatusInternalServerError, "context ended: "+err.Error())
			return
		}
		c.String(http.StatusOK, "%d", n)
	})
	for _, size := range []int{4 << 20, 10} {
		body := bytes.Repeat([]byte("x"), size)
		resp, err := http.Post(url, "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(got) != strconv.Itoa(size) {
			t.Fatalf("%d-byte body: %d %s", size, resp.StatusCode, got)
		}
	}
}
