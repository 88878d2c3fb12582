package multinode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// benchMode selects the long cluster suite (make bench-cluster sets
// XUI_BENCH_CLUSTER=1): more nodes, more changes, longer windows. The
// verdicts are the same in both modes.
func benchMode() bool { return os.Getenv("XUI_BENCH_CLUSTER") == "1" }

// writeResult logs a scenario's measurements and, when
// XUI_CLUSTER_REPORT_DIR is set (make bench-cluster), stores them as
// <name>.json there for bench/clusterreport to render.
func writeResult(t testing.TB, name string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s results:\n%s", name, compactSamples(data))
	dir := os.Getenv("XUI_CLUSTER_REPORT_DIR")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// compactSamples keeps the log readable: it drops the raw samples.
func compactSamples(data []byte) string {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return string(data)
	}
	var strip func(any) any
	strip = func(x any) any {
		switch m := x.(type) {
		case map[string]any:
			delete(m, "samples")
			for k, e := range m {
				m[k] = strip(e)
			}
		case []any:
			for i, e := range m {
				m[i] = strip(e)
			}
		}
		return x
	}
	out, _ := json.MarshalIndent(strip(v), "", "  ")
	return string(out)
}
