package xraytest

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestPayloadServer(t *testing.T) {
	base := StartPayloadServer(t, "")
	get := func(path string) (int, int) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		return resp.StatusCode, len(body)
	}
	if code, n := get("/bytes?n=100000"); code != 200 || n != 100000 {
		t.Fatalf("/bytes: %d, %d bytes", code, n)
	}
	if code, n := get("/slow?n=3000&rate=20000"); code != 200 || n != 3000 {
		t.Fatalf("/slow: %d, %d bytes", code, n)
	}
	for _, bad := range []string{"/bytes?n=-1", "/bytes?n=x", "/slow?n=10&rate=0", "/slow?n=10"} {
		if code, _ := get(bad); code != http.StatusBadRequest {
			t.Fatalf("%s: status %d, want 400", bad, code)
		}
	}
}

func TestDialSOCKSErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := DialSOCKS(ctx, "127.0.0.1:1", "127.0.0.1:80"); err == nil {
		t.Fatal("dial through a closed SOCKS port succeeded")
	}
	if _, err := DialSOCKS(ctx, "127.0.0.1:1", "127.0.0.1:0"); err == nil {
		t.Fatal("port 0 accepted")
	}
}

func TestHelpers(t *testing.T) {
	if p := FreePort(t); p <= 0 || p > 65535 {
		t.Fatalf("FreePort = %d", p)
	}
	if id := NewUUID(); len(id) != 36 || id[14] != '4' {
		t.Fatalf("NewUUID = %q", id)
	}
	if k := NewKey(16); len(k) != 24 {
		t.Fatalf("NewKey(16) = %q", k)
	}
	if Binary(t) == "" {
		t.Fatal("Binary returned nothing")
	}
}
