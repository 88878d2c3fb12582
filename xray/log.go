package xray

import (
	"bytes"
	"strings"
	"sync"
)

// maxPartialLine caps a line Xray prints without a newline, so a runaway
// writer cannot grow memory without bound.
const maxPartialLine = 64 << 10

// logRing keeps the most recent lines Xray printed (stdout and stderr). It
// is an io.Writer; writes may split lines anywhere.
type logRing struct {
	mu      sync.Mutex
	lines   []string
	next    int    // index the next line goes to once the ring is full
	full    bool   // the ring has wrapped at least once
	total   uint64 // lines ever added; lets callers read "lines since X"
	partial []byte
}

func newLogRing(size int) *logRing {
	if size <= 0 {
		size = 200
	}
	return &logRing{lines: make([]string, size)}
}

// Write implements io.Writer; it never fails.
func (r *logRing) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	data := p
	for len(data) > 0 {
		room := maxPartialLine - len(r.partial)
		i := bytes.IndexByte(data, '\n')
		if i < 0 || i > room {
			// No line end within the cap: keep what fits, and emit a full
			// capped line as its own line.
			take := min(room, len(data))
			r.partial = append(r.partial, data[:take]...)
			data = data[take:]
			if len(r.partial) >= maxPartialLine {
				r.addLocked(string(r.partial))
				r.partial = r.partial[:0]
			}
			continue
		}
		r.addLocked(string(append(r.partial, data[:i]...)))
		r.partial = r.partial[:0]
		data = data[i+1:]
	}
	return len(p), nil
}

// Add appends one line written by the panel itself (e.g. a start marker).
func (r *logRing) Add(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addLocked(line)
}

func (r *logRing) addLocked(line string) {
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return
	}
	r.lines[r.next] = line
	r.next++
	if r.next == len(r.lines) {
		r.next = 0
		r.full = true
	}
	r.total++
}

// Total is the number of lines ever added.
func (r *logRing) Total() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// Last returns up to n of the most recent lines, oldest first; n <= 0 means
// every line kept.
func (r *logRing) Last(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastLocked(n)
}

// Since returns the lines added after Total() was since (as many as are
// still kept), oldest first.
func (r *logRing) Since(since uint64) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.total <= since {
		return nil
	}
	return r.lastLocked(int(r.total - since))
}

func (r *logRing) lastLocked(n int) []string {
	kept := r.next
	if r.full {
		kept = len(r.lines)
	}
	if n <= 0 || n > kept {
		n = kept
	}
	out := make([]string, 0, n)
	start := r.next - n
	if start < 0 {
		start += len(r.lines)
	}
	for i := 0; i < n; i++ {
		out = append(out, r.lines[(start+i)%len(r.lines)])
	}
	return out
}
