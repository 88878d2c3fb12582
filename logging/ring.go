package logging

import (
	"bytes"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/mhsanaei/3x-ui/v2/config"
)

// The panel keeps its last RingLines log lines in memory for the Logs page,
// each cut to MaxLineBytes, so the ring never holds more than about 4 MiB
// however chatty the panel gets; x-ui.log keeps the full history.
const (
	RingLines    = 2000
	MaxLineBytes = 2048
)

// Ring is a bounded in-memory buffer of the most recent log lines. It is
// an io.Writer taking whole lines, as the standard logger writes them.
type Ring struct {
	mu    sync.Mutex
	lines []string // circular once full; start is the oldest
	start int
	size  int
}

// NewRing keeps the last capacity lines (at least one).
func NewRing(capacity int) *Ring {
	if capacity < 1 {
		capacity = 1
	}
	return &Ring{lines: make([]string, capacity)}
}

// Write stores every non-empty line of p.
func (r *Ring) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, line := range bytes.Split(p, []byte{'\n'}) {
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			continue
		}
		r.add(cut(line))
	}
	return len(p), nil
}

func (r *Ring) add(line string) {
	if r.size < len(r.lines) {
		r.lines[(r.start+r.size)%len(r.lines)] = line
		r.size++
		return
	}
	r.lines[r.start] = line
	r.start = (r.start + 1) % len(r.lines)
}

// cut shortens a line to MaxLineBytes on a character boundary.
func cut(line []byte) string {
	if len(line) <= MaxLineBytes {
		return string(line)
	}
	n := MaxLineBytes
	for n > 0 && !utf8.RuneStart(line[n]) {
		n--
	}
	return string(line[:n]) + " …"
}

// Lines returns up to n of the newest lines at level min or above, oldest
// first (an empty min keeps every line).
func (r *Ring) Lines(n int, min config.LogLevel) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []string{}
	for i := r.size - 1; i >= 0 && len(out) < n; i-- {
		line := r.lines[(r.start+i)%len(r.lines)]
		if min == "" || rank[levelOf([]byte(line))] >= rank[min] {
			out = append(out, line)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// ParseLevel reads a level name as XUI_LOG_LEVEL spells it ("warn" too).
func ParseLevel(s string) (config.LogLevel, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "warn" {
		s = string(config.Warning)
	}
	lv := config.LogLevel(s)
	_, ok := rank[lv]
	return lv, ok
}
