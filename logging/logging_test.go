package logging

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhsanaei/3x-ui/v2/config"
)

func TestLevelFilterKeepsLinesAtOrAboveLevel(t *testing.T) {
	dir := t.TempDir()
	var console bytes.Buffer
	w, err := Open(dir, config.Warning, &console, DefaultMax, DefaultKeep)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "2026/12/02 10:00:00 Starting x-ui\n2026/12/02 10:00:01 WARNING: default login\n2026/12/02 10:00:02 error: xray died\n2026/12/02 10:00:03 debug: detail\n")
	w.Close()
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	got := string(data)
	if strings.Contains(got, "Starting") || strings.Contains(got, "detail") {
		t.Fatalf("info/debug lines kept at level warning:\n%s", got)
	}
	if !strings.Contains(got, "default login") || !strings.Contains(got, "xray died") {
		t.Fatalf("warning/error lines missing:\n%s", got)
	}
	if console.String() != got {
		t.Fatalf("console and file differ:\n%q\n%q", console.String(), got)
	}
	if st, _ := os.Stat(filepath.Join(dir, FileName)); st.Mode().Perm() != 0o600 {
		t.Fatalf("log file mode %v, want 0600", st.Mode().Perm())
	}
}

func TestRotationCapsSizeAndKeepsOldFiles(t *testing.T) {
	dir := t.TempDir()
	const max, keep = 1000, 2
	w, err := Open(dir, config.Debug, nil, max, keep)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 99) + "\n" // 100 bytes
	for i := 0; i < 55; i++ {
		fmt.Fprint(w, line)
	}
	w.Close()
	for _, name := range []string{FileName, FileName + ".1", FileName + ".2"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.Size() > max {
			t.Fatalf("%s is %d bytes, cap %d", name, st.Size(), max)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, FileName+".3")); !os.IsNotExist(err) {
		t.Fatalf("more than %d old files kept", keep)
	}
	cur, _ := os.ReadFile(filepath.Join(dir, FileName))
	if len(cur) != 500 { // 55 lines = 5 full files of 10 lines... the last holds 5
		t.Fatalf("current file holds %d bytes, want 500", len(cur))
	}
}

func TestOpenReopensAndAppends(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		w, err := Open(dir, config.Info, nil, DefaultMax, DefaultKeep)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "run %d\n", i)
		w.Close()
	}
	data, _ := os.ReadFile(filepath.Join(dir, FileName))
	if string(data) != "run 0\nrun 1\n" {
		t.Fatalf("got %q", data)
	}
}
