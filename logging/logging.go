// Package logging sends the panel's log to stderr and to a size-capped,
// rotated file in XUI_LOG_FOLDER, keeping lines at or above XUI_LOG_LEVEL.
package logging

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mhsanaei/3x-ui/v2/config"
)

// Defaults for the panel log: x-ui.log rotated at 10 MiB, 3 old files kept,
// so the folder never holds more than about 40 MiB of panel logs.
const (
	FileName     = "x-ui.log"
	DefaultMax   = 10 << 20
	DefaultKeep  = 3
	logFolderDir = 0o750
)

var rank = map[config.LogLevel]int{
	config.Debug: 0, config.Info: 1, config.Notice: 2, config.Warning: 3, config.Error: 4,
}

// levelOf classifies one log line by the word it starts with (after the
// standard logger's date and time); untagged lines are info.
func levelOf(line []byte) config.LogLevel {
	text := strings.ToLower(string(line))
	// Skip "2006/01/02 15:04:05 " when present.
	if len(text) > 20 && text[4] == '/' && text[7] == '/' && text[13] == ':' {
		text = text[20:]
	}
	for _, lv := range []config.LogLevel{config.Error, config.Warning, config.Notice, config.Debug} {
		if strings.HasPrefix(text, string(lv)) || strings.HasPrefix(text, "["+string(lv)+"]") {
			return lv
		}
	}
	if strings.HasPrefix(text, "warn") {
		return config.Warning
	}
	return config.Info
}

// Writer filters lines below a level and copies the rest to stderr and a
// rotating file.
type Writer struct {
	mu      sync.Mutex
	min     int
	console io.Writer
	path    string
	max     int64
	keep    int
	file    *os.File
	size    int64
	recent  *Ring // nil: no in-memory copy
}

// Open prepares the log file in folder (created 0750) for lines at level or
// above. max and keep bound the file size and the number of old files.
func Open(folder string, level config.LogLevel, console io.Writer, max int64, keep int) (*Writer, error) {
	if err := os.MkdirAll(folder, logFolderDir); err != nil {
		return nil, fmt.Errorf("log folder %s: %w", folder, err)
	}
	w := &Writer{min: rank[level], console: console, path: filepath.Join(folder, FileName), max: max, keep: keep}
	if err := w.openFile(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) openFile() error {
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	w.file, w.size = f, st.Size()
	return nil
}

// KeepRecent also copies every kept line into r (the Logs page's ring).
func (w *Writer) KeepRecent(r *Ring) {
	w.mu.Lock()
	w.recent = r
	w.mu.Unlock()
}

// Write takes whole lines, as the standard logger writes them.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, line := range bytes.SplitAfter(p, []byte{'\n'}) {
		if len(line) == 0 || rank[levelOf(line)] < w.min {
			continue
		}
		if w.console != nil {
			w.console.Write(line)
		}
		if w.recent != nil {
			w.recent.Write(line)
		}
		if w.file == nil {
			continue
		}
		if w.size+int64(len(line)) > w.max && w.size > 0 {
			w.rotate()
		}
		if n, err := w.file.Write(line); err == nil {
			w.size += int64(n)
		}
	}
	return len(p), nil
}

// rotate shifts x-ui.log to x-ui.log.1 (and .1 to .2 ...), dropping the
// oldest. A failure keeps writing to the current file rather than losing lines.
func (w *Writer) rotate() {
	w.file.Close()
	w.file = nil
	os.Remove(fmt.Sprintf("%s.%d", w.path, w.keep))
	for i := w.keep - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", w.path, i), fmt.Sprintf("%s.%d", w.path, i+1))
	}
	if w.keep > 0 {
		os.Rename(w.path, w.path+".1")
	} else {
		os.Remove(w.path)
	}
	if err := w.openFile(); err != nil && w.console != nil {
		fmt.Fprintf(w.console, "log rotation: %v\n", err)
	}
}

// Close closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.file == nil {
		return nil
	}
	err := w.file.Close()
	w.file = nil
	return err
}

// Setup points the standard logger at XUI_LOG_FOLDER/x-ui.log and stderr,
// filtered by XUI_LOG_LEVEL, and keeps the last lines in the returned Ring
// (the Logs page reads it). When the folder cannot be used the panel keeps
// logging to stderr and the ring, and says why once.
func Setup(console io.Writer) (io.Closer, *Ring) {
	recent := NewRing(RingLines)
	w, err := Open(config.GetLogFolder(), config.GetLogLevel(), console, DefaultMax, DefaultKeep)
	if err != nil {
		w = &Writer{min: rank[config.GetLogLevel()], console: console, recent: recent}
		log.SetOutput(w)
		log.Printf("WARNING: logging to stderr only: %v", err)
		return w, recent
	}
	w.KeepRecent(recent)
	log.SetOutput(w)
	return w, recent
}
