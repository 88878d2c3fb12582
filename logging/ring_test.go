package logging

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mhsanaei/3x-ui/v2/config"
)

func TestRingKeepsTheNewestLinesBounded(t *testing.T) {
	r := NewRing(3)
	if got := r.Lines(10, ""); len(got) != 0 {
		t.Fatalf("empty ring: %q", got)
	}
	fmt.Fprint(r, "a\nb\n\n")
	if got := r.Lines(10, ""); strings.Join(got, ",") != "a,b" {
		t.Fatalf("got %q", got)
	}
	fmt.Fprint(r, "c\nd\ne\n")
	if got := r.Lines(10, ""); strings.Join(got, ",") != "c,d,e" {
		t.Fatalf("after wrap: %q", got)
	}
	if got := r.Lines(2, ""); strings.Join(got, ",") != "d,e" {
		t.Fatalf("newest two: %q", got)
	}
}

func TestRingCutsLongLinesOnARuneBoundary(t *testing.T) {
	r := NewRing(2)
	fmt.Fprintln(r, strings.Repeat("界", MaxLineBytes)) // 3 bytes each
	got := r.Lines(1, "")[0]
	if len(got) > MaxLineBytes+len(" …") || !utf8.ValidString(got) || !strings.HasSuffix(got, " …") {
		t.Fatalf("cut line: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}

func TestRingFiltersByLevel(t *testing.T) {
	r := NewRing(10)
	fmt.Fprint(r, "2026/12/02 10:00:00 Starting x-ui\n2026/12/02 10:00:01 WARNING: default login\n2026/12/02 10:00:02 error: xray died\n")
	if got := r.Lines(10, config.Warning); len(got) != 2 || !strings.Contains(got[0], "default login") {
		t.Fatalf("warning and above: %q", got)
	}
	if got := r.Lines(10, config.Error); len(got) != 1 {
		t.Fatalf("error: %q", got)
	}
}

// The writer copies exactly the lines it keeps (at or above its level).
func TestWriterCopiesKeptLinesToTheRing(t *testing.T) {
	w, err := Open(t.TempDir(), config.Warning, nil, DefaultMax, DefaultKeep)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ring := NewRing(10)
	w.KeepRecent(ring)
	fmt.Fprint(w, "2026/12/02 10:00:00 Starting x-ui\n2026/12/02 10:00:01 WARNING: default login\n")
	if got := ring.Lines(10, ""); len(got) != 1 || !strings.Contains(got[0], "default login") {
		t.Fatalf("ring: %q", got)
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]config.LogLevel{"debug": config.Debug, "WARN": config.Warning, " error ": config.Error} {
		if got, ok := ParseLevel(in); !ok || got != want {
			t.Errorf("ParseLevel(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := ParseLevel("loud"); ok {
		t.Error("loud accepted")
	}
}
