package middleware

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

func TestLoginLimiterWindow(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLoginLimiter(3, time.Minute)
	l.Now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
		l.Fail("a")
		now = now.Add(10 * time.Second)
	}
	ok, wait := l.Allow("a")
	if ok || wait != 30*time.Second {
		t.Fatalf("after 3 failures: ok=%v wait=%v (want 30s: the first failure leaves the window then)", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("other IP refused")
	}
	now = now.Add(wait)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("still refused after the oldest failure left the window")
	}
	l.Reset("a")
	if len(l.failures) != 0 {
		t.Fatalf("reset left state: %v", l.failures)
	}
}

func TestGzipSkipsRangeAndEmptyBodies(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(Gzip())
	body := strings.Repeat("x-ui ", 1000)
	e.GET("/text", func(c *gin.Context) { c.String(200, body) })
	e.GET("/empty", func(c *gin.Context) { c.Status(http.StatusNoContent) })

	req := httptest.NewRequest("GET", "/text", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Content-Length") != "" {
		t.Fatalf("headers: %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); string(plain) != body {
		t.Fatal("round trip differs")
	}

	req.Header.Set("Range", "bytes=0-10")
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "" {
		t.Fatal("range request was compressed")
	}

	req = httptest.NewRequest("GET", "/empty", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != 204 || rec.Body.Len() != 0 || rec.Header().Get("Content-Encoding") != "" {
		t.Fatalf("204: code %d, %d bytes, %v", rec.Code, rec.Body.Len(), rec.Header())
	}
}

// TestHostAllowList: IP addresses and localhost always pass (a rebinding
// page cannot have them as its origin); names only when listed, with a
// wildcard covering exactly one label.
func TestHostAllowList(t *testing.T) {
	l := NewHostAllowList("Panel.Example.org", " *.nodes.example ", "")
	for host, want := range map[string]bool{
		"127.0.0.1:2053": true, "[::1]:2053": true, "10.1.2.3": true, "[2001:db8::1]": true,
		"localhost": true, "localhost:80": true, "app.localhost": true, "": true,
		"panel.example.org": true, "PANEL.example.org.:443": true, "a.nodes.example": true,
		"nodes.example": false, "a.b.nodes.example": false, "rebind.example": false,
		"panel.example.org.evil": false, "127.0.0.1.nip.io": false,
	} {
		if got := l.Allows(host); got != want {
			t.Errorf("Allows(%q) = %v, want %v", host, got, want)
		}
	}
}
