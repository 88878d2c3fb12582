package xray

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mhsanaei/3x-ui/v2/util/atomicfile"
)

// A detached Xray (ProcessOptions.Detach) outlives the panel: it runs in
// its own session with no parent-death signal, writes its output to a file
// instead of a pipe (a dead reader would kill it with SIGPIPE), and its pid
// is recorded so that the next panel adopts it instead of starting another.

const (
	adoptPoll   = 200 * time.Millisecond // how often an adopted pid is checked
	tailPoll    = 100 * time.Millisecond // how often the log file is read
	maxLogBytes = 8 << 20                // the log file is truncated beyond this
)

// pidRecord is the content of the pid file.
type pidRecord struct {
	Pid    int    `json:"pid"`
	Binary string `json:"binary"`
	Config string `json:"config"`
}

// PidPath is where a detached Xray's pid is recorded (next to config.json).
func (p *Process) PidPath() string { return filepath.Join(filepath.Dir(p.opts.ConfigPath), "xray.pid") }

// LogPath is the file a detached Xray writes its output to.
func (p *Process) LogPath() string { return filepath.Join(filepath.Dir(p.opts.ConfigPath), "xray.log") }

// startDetachedLocked execs cmd with its output in the log file and records
// its pid.
func (p *Process) startDetachedLocked(cmd *exec.Cmd) error {
	f, err := os.OpenFile(p.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("xray: open log file: %w", err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	err = startDetached(cmd)
	f.Close() // the child holds its own descriptor
	if err != nil {
		return err
	}
	rec, _ := json.Marshal(pidRecord{Pid: cmd.Process.Pid, Binary: p.opts.BinaryPath, Config: p.opts.ConfigPath})
	if err := atomicfile.Write(p.PidPath(), rec, 0o600); err != nil {
		_ = cmd.Process.Kill()
		return fmt.Errorf("xray: write pid file: %w", err)
	}
	return nil
}

// Adopt takes over an Xray that a previous panel left running: the pid file
// names a live process running this binary with this config, and the API
// in config.json answers. It returns false (and starts nothing) when there
// is nothing to adopt; a matching process that cannot be managed is
// stopped, so that a fresh start can bind its ports.
func (p *Process) Adopt() (bool, error) {
	if !p.opts.Detach {
		return false, nil
	}
	p.opMu.Lock()
	defer p.opMu.Unlock()
	if r := p.current(); r != nil && r.alive() {
		return false, nil
	}
	data, err := os.ReadFile(p.PidPath())
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	var rec pidRecord
	if err == nil {
		err = json.Unmarshal(data, &rec)
	}
	if err != nil || !p.isOurs(rec.Pid) {
		_ = os.Remove(p.PidPath())
		return false, nil
	}
	cfg, err := readConfigFile(p.opts.ConfigPath)
	addr := apiAddressOf(cfg)
	if err == nil && addr == "" {
		err = errors.New("its config has no api inbound")
	}
	if err == nil && !portAccepts(addr) {
		err = fmt.Errorf("its api %s does not answer", addr)
	}
	if err != nil {
		killPid(rec.Pid)
		_ = os.Remove(p.PidPath())
		return false, fmt.Errorf("xray pid %d stopped instead of adopted: %w", rec.Pid, err)
	}
	r := &run{pid: rec.Pid, started: time.Now(), done: make(chan struct{})}
	var size int64
	if st, err := os.Stat(p.LogPath()); err == nil {
		size = st.Size()
	}
	p.mu.Lock()
	p.cfg, p.cur, p.lastErr = cfg, r, ""
	p.mu.Unlock()
	go p.watchAdopted(r)
	go p.tailLog(r, size)
	p.logs.Add(fmt.Sprintf("x-ui: adopted running xray (pid %d)", rec.Pid))
	p.superviseLocked()
	return true, nil
}

// isOurs reports whether pid is a live (not zombie) process of this binary
// running this config: a recycled pid is never adopted or killed.
func (p *Process) isOurs(pid int) bool {
	if pid <= 0 {
		return false
	}
	proc := "/proc/" + strconv.Itoa(pid)
	cmdline, err := os.ReadFile(proc + "/cmdline")
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	if len(args) < 4 || filepath.Base(args[0]) != filepath.Base(p.opts.BinaryPath) || args[len(args)-1] != p.opts.ConfigPath {
		return false
	}
	stat, err := os.ReadFile(proc + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		state := s[i+2]
		return state != 'Z' && state != 'X'
	}
	return false
}

// watchAdopted closes r.done once the adopted process is gone (it is not
// our child, so it cannot be waited for).
func (p *Process) watchAdopted(r *run) {
	for p.isOurs(r.pid) {
		time.Sleep(adoptPoll)
	}
	p.mu.Lock()
	r.err = errors.New("adopted xray exited")
	if !r.stopping.Load() {
		p.lastErr = "xray exited unexpectedly (adopted pid " + strconv.Itoa(r.pid) + ")"
	}
	p.mu.Unlock()
	close(r.done)
}

// tailLog copies the log file into the ring until the run ends, and keeps
// the file bounded (Xray appends, so a truncation is safe).
func (p *Process) tailLog(r *run, from int64) {
	f, err := os.Open(p.LogPath())
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return
	}
	buf := make([]byte, 32<<10)
	for {
		n, _ := f.Read(buf)
		if n > 0 {
			_, _ = p.logs.Write(buf[:n])
			continue
		}
		select {
		case <-r.done:
			return
		case <-time.After(tailPoll):
		}
		if pos, err := f.Seek(0, io.SeekCurrent); err == nil && pos > maxLogBytes {
			if os.Truncate(p.LogPath(), 0) == nil {
				_, _ = f.Seek(0, io.SeekStart)
			}
		}
	}
}

// removePidFile forgets a detached Xray that was stopped on purpose.
func (p *Process) removePidFile() {
	if p.opts.Detach {
		_ = os.Remove(p.PidPath())
	}
}

func readConfigFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg := &Config{}
	if err := json.Unmarshal(data, cfg); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return cfg, nil
}

// killPid ends a process that is not our child: SIGTERM, then SIGKILL.
func killPid(pid int) {
	proc, err := os.FindProcess(pid)
	if err != nil {
		return
	}
	_ = proc.Signal(syscall.SIGTERM)
	for i := 0; i < int(stopTimeout/adoptPoll); i++ {
		if proc.Signal(syscall.Signal(0)) != nil {
			return
		}
		time.Sleep(adoptPoll)
	}
	_ = proc.Kill()
}
