package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runTestEnv runs scripts/test-env.sh from the repository root with extra
// environment and returns its combined output and exit code.
func runTestEnv(t *testing.T, env ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(moduleRoot(), "scripts", "test-env.sh"))
	cmd.Dir = moduleRoot()
	cmd.Env = append(os.Environ(), env...)
	timer := time.AfterFunc(15*time.Minute, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run test-env.sh: %v", err)
	}
	return string(out), code
}

func modTime(t *testing.T, path string) time.Time {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return st.ModTime()
}

// TestTestEnvIsIdempotent runs the preparation twice: the first run may
// install or build, the second must report no change and touch nothing.
func TestTestEnvIsIdempotent(t *testing.T) {
	out, code := runTestEnv(t)
	if code != 0 {
		t.Fatalf("first run exit %d:\n%s", code, out)
	}
	xray := filepath.Join(moduleRoot(), "bin", "xray-linux-amd64")
	before := modTime(t, xray)
	out, code = runTestEnv(t)
	if code != 0 {
		t.Fatalf("second run exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "changed:") || !strings.Contains(out, "(0 changes)") {
		t.Fatalf("second run changed something:\n%s", out)
	}
	if after := modTime(t, xray); !after.Equal(before) {
		t.Fatalf("second run rewrote %s (%v -> %v)", xray, before, after)
	}
	t.Logf("second run:\n%s", out)
}

// TestTestEnvNamesWhatIsMissing points the preparation at a MariaDB port
// nothing listens on: it must stop with one line that says what is missing
// and how to go on, never a raw client error.
func TestTestEnvNamesWhatIsMissing(t *testing.T) {
	out, code := runTestEnv(t, "XUI_TEST_MARIADB_PORT=1")
	if code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", code, out)
	}
	var errLines []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "test-env: cannot prepare") {
			errLines = append(errLines, line)
		} else if !strings.HasPrefix(line, "test-env: ") {
			t.Fatalf("raw output leaked from a tool: %q\n%s", line, out)
		}
	}
	if len(errLines) != 1 {
		t.Fatalf("want one error line, got %d:\n%s", len(errLines), out)
	}
	for _, want := range []string{"127.0.0.1:1", "as root", "XUI_TEST_SKIP_MARIADB=1 make test"} {
		if !strings.Contains(errLines[0], want) {
			t.Fatalf("error line %q does not mention %q", errLines[0], want)
		}
	}
}
