package middleware

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// BodyRate bounds how long a request body may take: the client gets Grace
// for the first bytes, then must keep up an average of MinBytesPerSecond.
// A flat ReadTimeout cannot tell a 50 MB backup restore on a slow link from
// a client that sends one byte a second to hold a connection forever; a
// minimum rate can. The deadline is the connection's read deadline, so it
// also bounds what net/http reads after the handler (its drain of an
// unread body).
type BodyRate struct {
	Grace             time.Duration
	MinBytesPerSecond int64
}

// DefaultBodyRate: 10 s to start, then at least 8 KiB/s (64 kbit/s) on
// average. A 50 MB restore may take up to 1 h 45 min and still passes.
var DefaultBodyRate = BodyRate{Grace: 10 * time.Second, MinBytesPerSecond: 8 << 10}

// Handler applies the rate to every request with a body. It also makes an
// error answer given before the body was read (401, 403, 404, 413, ...)
// close the connection at once instead of letting net/http drain up to
// 256 KiB of the body first: an unauthenticated stranger gets 401 without
// the server waiting for a single body byte.
func (r BodyRate) Handler() gin.HandlerFunc {
	return func(c *gin.Context) {
		req := c.Request
		if req.Body == nil || req.Body == http.NoBody || req.ContentLength == 0 {
			c.Next()
			return
		}
		rc := http.NewResponseController(c.Writer)
		start := time.Now()
		body := &rateBody{ReadCloser: req.Body, rc: rc, start: start, rate: r}
		// A connection that cannot take deadlines (none of net/http's) is
		// left as it is: the server-wide timeouts still apply.
		if rc.SetReadDeadline(start.Add(r.Grace)) != nil {
			c.Next()
			return
		}
		req.Body = body
		c.Writer = &closeUnreadWriter{ResponseWriter: c.Writer, body: body, rc: rc}
		c.Next()
	}
}

// rateBody moves the read deadline forward as bytes arrive: the body may
// take Grace plus one second per MinBytesPerSecond bytes read so far.
type rateBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	rate  BodyRate
	read  int64
	eof   atomic.Bool
}

func (b *rateBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if err == io.EOF {
		// The body is in: the rule no longer applies. Clearing the
		// deadline matters because net/http now reads in the background
		// to notice a client leaving, and a deadline hit there would
		// cancel the request's context while a long handler (a restore)
		// is still working.
		b.eof.Store(true)
		_ = b.rc.SetReadDeadline(time.Time{})
		return n, err
	}
	if n > 0 && b.rate.MinBytesPerSecond > 0 {
		earned := time.Duration(b.read * int64(time.Second) / b.rate.MinBytesPerSecond)
		_ = b.rc.SetReadDeadline(b.start.Add(b.rate.Grace + earned))
	}
	return n, err
}

// closeUnreadWriter marks an error response whose request body was not
// read to the end: "Connection: close" stops net/http from draining the
// body before and after the answer, and a read deadline in the past ends
// whatever read is still pending.
type closeUnreadWriter struct {
	gin.ResponseWriter
	body *rateBody
	rc   *http.ResponseController
	done bool
}

func (w *closeUnreadWriter) WriteHeader(code int) {
	w.check(code)
	w.ResponseWriter.WriteHeader(code)
}

// gin's own 404/405 answers set the status without WriteHeader, so the
// writes check the recorded status too.
func (w *closeUnreadWriter) WriteHeaderNow() {
	w.check(w.ResponseWriter.Status())
	w.ResponseWriter.WriteHeaderNow()
}

func (w *closeUnreadWriter) Write(p []byte) (int, error) {
	w.check(w.ResponseWriter.Status())
	return w.ResponseWriter.Write(p)
}

func (w *closeUnreadWriter) WriteString(s string) (int, error) {
	w.check(w.ResponseWriter.Status())
	return w.ResponseWriter.WriteString(s)
}

// Unwrap lets http.NewResponseController reach the connection.
func (w *closeUnreadWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *closeUnreadWriter) check(code int) {
	if code < http.StatusBadRequest || w.done || w.Written() || w.body.eof.Load() {
		return
	}
	w.done = true
	w.Header().Set("Connection", "close")
	_ = w.rc.SetReadDeadline(time.Now())
}
