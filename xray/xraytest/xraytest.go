// Package xraytest helps tests run the real Xray binary: find it, start
// servers and SOCKS clients, serve payloads and push real bytes through.
// Everything binds to 127.0.0.0/8 and is cleaned up with t.Cleanup.
package xraytest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Binary is the Xray binary for tests: $XUI_TEST_XRAY_BIN, else
// <module root>/bin/xray-linux-amd64. The test fails if it is missing.
func Binary(t testing.TB) string {
	t.Helper()
	path := os.Getenv("XUI_TEST_XRAY_BIN")
	if path == "" {
		root, err := moduleRoot()
		if err != nil {
			t.Fatalf("xraytest: cannot find the module root to locate bin/xray-linux-amd64: %v (set XUI_TEST_XRAY_BIN)", err)
		}
		path = filepath.Join(root, "bin", "xray-linux-amd64")
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("xraytest: Xray binary %s not found (%v): run `make xray` or set XUI_TEST_XRAY_BIN", path, err)
	}
	if info.IsDir() || info.Mode()&0o111 == 0 {
		t.Fatalf("xraytest: %s is not an executable file: run `make xray` or set XUI_TEST_XRAY_BIN", path)
	}
	return path
}

// moduleRoot walks up from the working directory to the folder with go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for i := 0; i < 64; i++ {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("no go.mod above the working directory")
}

// FreePort returns a TCP port that was free a moment ago (PickPort).
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := PickPort()
	if err != nil {
		t.Fatalf("xraytest: find a free port: %v", err)
	}
	return p
}

// handedOut are the ports PickPort gave this process: never twice.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// PickPort returns a TCP port free on every address now, drawn at random
// from 16384-21999 and never the same twice in this process. A port the
// kernel hands out (":0") is from its ephemeral range, where any process's
// next outgoing connection may take it as its source port before the test
// binds it (seen in CI with many tests at once); this range lies below it
// and below the fixed ports of the 3x-ui fixtures (22096 and up).
func PickPort() (int, error) {
	const lo, hi = 16384, 22000
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 1000 {
		var b [2]byte
		_, _ = rand.Read(b[:])
		p := lo + (int(b[0])<<8|int(b[1]))%(hi-lo)
		if handedOut.ports[p] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf(":%d", p))
		if err != nil {
			continue
		}
		ln.Close()
		handedOut.ports[p] = true
		return p, nil
	}
	return 0, fmt.Errorf("no free port in %d-%d after 1000 tries", lo, hi-1)
}

// NewUUID returns a random version-4 UUID string.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// NewKey returns n random bytes in standard base64, e.g. a Shadowsocks 2022
// key (16 bytes for 2022-blake3-aes-128-gcm, 32 for the others).
func NewKey(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Eventually polls cond every 100 ms until it holds or within has passed,
// and reports whether it held. Every wait in the tests is bounded by it.
func Eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}
