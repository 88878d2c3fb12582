package app

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestAPISmokeScript runs scripts/api-smoke.sh, which builds x-ui, starts
// `x-ui run` on a free loopback port and drives the API with curl; this
// keeps the script working as part of `make test`.
func TestAPISmokeScript(t *testing.T) {
	t.Parallel() // its own x-ui process, free port and TMPDIR
	for _, tool := range []string{"bash", "curl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required for the API smoke test: %v", tool, err)
		}
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "scripts", "api-smoke.sh")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append(os.Environ(), "XUI_TEST_XRAY_BIN="+testXrayBinary(t), "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SMOKE OK") {
		t.Fatalf("api-smoke.sh failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
