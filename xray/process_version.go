package xray

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// toolTimeout bounds `xray version` and `xray run -test`.
const toolTimeout = 15 * time.Second

var versionRE = regexp.MustCompile(`Xray (\d+\.\d+\.\d+\S*)`)

// Version is the binary's version from `<bin> version` (e.g. "26.3.27"),
// cached after the first success; "" when the binary cannot be run.
func (p *Process) Version() string {
	p.mu.Lock()
	v := p.version
	p.mu.Unlock()
	if v != "" {
		return v
	}
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, p.opts.BinaryPath, "version").Output()
	if err != nil {
		return ""
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		return ""
	}
	p.mu.Lock()
	p.version = string(m[1])
	p.mu.Unlock()
	return string(m[1])
}

// TestConfig asks Xray to validate cfg (`<bin> run -test`); the error
// carries Xray's own message.
func TestConfig(binaryPath string, cfg *Config) error {
	if cfg == nil {
		return errors.New("xray: config is nil")
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("xray: encode config: %w", err)
	}
	f, err := os.CreateTemp("", "xray-test-*.json")
	if err != nil {
		return fmt.Errorf("xray: temp config: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("xray: write temp config: %w", werr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binaryPath, "run", "-test", "-c", f.Name())
	cmd.Env = append(os.Environ(), "XRAY_LOCATION_ASSET="+assetDir(binaryPath))
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	return fmt.Errorf("xray rejected the config: %s", testFailure(string(out), err))
}

// testFailure picks Xray's reason out of `run -test` output.
func testFailure(out string, err error) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Failed to start:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "Failed to start:"))
		}
		if l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return err.Error()
	}
	return strings.Join(lastN(lines, errorLogLines), "\n")
}
