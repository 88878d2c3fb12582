package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers every webhook post carries (docs/notifications.md).
const (
	HeaderEventID   = "X-XUI-Event-Id"
	HeaderTimestamp = "X-XUI-Timestamp" // unix seconds, as signed
	HeaderSignature = "X-XUI-Signature" // "sha256=" + hex HMAC
	HeaderKind      = "X-XUI-Event"
)

// Bounds of one post: a receiver that hangs does not hold the queue for
// long, and one that answers with megabytes costs a few KB.
const (
	DefaultTimeout = 10 * time.Second
	maxReplyBody   = 4 << 10
	maxErrorText   = 512
)

// Sign is the X-XUI-Signature value of body sent at timestamp (unix
// seconds): "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
// Signing the timestamp lets a receiver refuse old replays.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is Sign(secret, timestamp, body), in
// constant time: what a Go receiver runs.
func Verify(secret, timestamp string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature))
}

// Result is what one post got back.
type Result struct {
	Status int    // HTTP status, 0 when no answer came
	Err    string // why it did not count as delivered ("" when it did)
}

// Delivered reports a 2xx answer.
func (r Result) Delivered() bool { return r.Err == "" }

// Sender posts signed events.
type Sender struct {
	client *http.Client
	now    func() time.Time
}

// NewSender posts with a client bounded by timeout (DefaultTimeout when
// not positive) that follows no redirect: a 3xx is an answer, not a
// delivery, and following it would post the event where the admin did
// not point it.
func NewSender(timeout time.Duration) *Sender {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Sender{
		client: &http.Client{
			Timeout: timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		now: time.Now,
	}
}

// Post sends body (a JSON event with id eventID and kind) to url signed
// with secret.
func (s *Sender) Post(ctx context.Context, url, secret, eventID string, kind Kind, body []byte) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Result{Err: "request: " + err.Error()}
	}
	ts := strconv.FormatInt(s.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "x-ui-webhook")
	req.Header.Set(HeaderEventID, eventID)
	req.Header.Set(HeaderKind, string(kind))
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Err: clip(err.Error())}
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, maxReplyBody))
	// Drain a little more so the connection can be reused, never much.
	_, _ = io.CopyN(io.Discard, resp.Body, maxReplyBody)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return Result{Status: resp.StatusCode}
	}
	msg := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if text := strings.TrimSpace(string(reply)); text != "" {
		msg += ": " + text
	}
	return Result{Status: resp.StatusCode, Err: clip(msg)}
}

func clip(s string) string {
	if len(s) > maxErrorText {
		return s[:maxErrorText] + "…"
	}
	return s
}
