// Package testbin finds or builds the binaries tests run: the real Xray
// (XUI_TEST_XRAY_BIN, else bin/xray-linux-amd64 that `make xray` builds)
// and x-ui itself, built once per test process from this checkout.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/xray/xraytest"
)

// Xray is the real Xray binary, or fails the test saying how to get it.
func Xray(t testing.TB) string { return xraytest.Binary(t) }

// ModuleRoot is the checkout this package was compiled from.
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// XUI builds x-ui from the checkout once per process and returns its path
// (in a temp folder the caller may remove with RemoveXUI at exit).
func XUI() (string, error) {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "xui-bin-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "x-ui")
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		if p, err := exec.LookPath("go"); err == nil {
			goTool = p
		}
		cmd := exec.Command(goTool, "build", "-o", built, ".")
		cmd.Dir = ModuleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build x-ui: %v\n%s", err, out)
		}
	})
	return built, buildErr
}

// RemoveXUI deletes the folder XUI built into.
func RemoveXUI() {
	if built != "" {
		os.RemoveAll(filepath.Dir(built))
	}
}
