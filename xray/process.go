package xray

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mhsanaei/3x-ui/v2/util/atomicfile"
)

// ProcessOptions configures a local Xray process.
type ProcessOptions struct {
	BinaryPath string // e.g. bin/xray-linux-amd64
	ConfigPath string // e.g. bin/config.json (written atomically, mode 0600)
	LogLines   int    // size of the ring buffer of recent Xray output lines; default 200
	Supervise  bool   // restart with exponential backoff when Xray exits without Stop()
	// Detach lets Xray outlive the panel (see process_detach.go); off, the
	// kernel kills Xray when the panel dies.
	Detach bool
}

const (
	startTimeout   = 10 * time.Second // Xray must be serving within this
	startedGrace   = time.Second      // readiness fallback when Xray's log hides "started"
	stopTimeout    = 5 * time.Second  // SIGTERM grace before SIGKILL
	backoffMin     = 500 * time.Millisecond
	backoffMax     = 30 * time.Second
	healthyRunTime = time.Minute // a run this long resets the backoff
	errorLogLines  = 20          // log lines quoted in startup errors
)

// Process runs and optionally supervises one Xray child process.
type Process struct {
	opts ProcessOptions
	logs *logRing

	// opMu serialises Start, Stop, Restart, UpdateConfig and supervised
	// restarts, so config.json and the child always change together.
	opMu sync.Mutex

	mu       sync.Mutex // guards the fields below
	cfg      *Config
	cur      *run
	stopSup  chan struct{} // closed to end supervision of the current session
	lastErr  string
	restarts int
	version  string
}

// run is one execution of the binary.
type run struct {
	cmd      *exec.Cmd // nil for an adopted run
	pid      int
	started  time.Time
	done     chan struct{} // closed once the child has exited and been reaped
	stopping atomic.Bool   // set before the panel signals it, so the exit is no crash
	err      error         // exit status; read only after done is closed
}

// NewProcess prepares a process; nothing runs until Start.
func NewProcess(opts ProcessOptions) *Process {
	if opts.LogLines <= 0 {
		opts.LogLines = 200
	}
	return &Process{opts: opts, logs: newLogRing(opts.LogLines)}
}

// Start writes config.json, runs Xray and returns once it serves: its API
// port (when the config has one) accepts connections and it logged that it
// started. It fails when Xray is already running.
func (p *Process) Start(cfg *Config) error {
	p.opMu.Lock()
	defer p.opMu.Unlock()
	if r := p.current(); r != nil && r.alive() {
		return fmt.Errorf("xray is already running (pid %d); use Restart", r.pid)
	}
	return p.startSessionLocked(cfg)
}

// Stop ends supervision and terminates Xray: SIGTERM, then SIGKILL after a
// timeout. Stopping a stopped process is a no-op.
func (p *Process) Stop() error {
	p.opMu.Lock()
	defer p.opMu.Unlock()
	return p.stopLocked()
}

// Restart is Stop followed by Start with cfg.
func (p *Process) Restart(cfg *Config) error {
	p.opMu.Lock()
	defer p.opMu.Unlock()
	if err := p.stopLocked(); err != nil {
		return err
	}
	return p.startSessionLocked(cfg)
}

// UpdateConfig records cfg as the running config and rewrites config.json
// without restarting, so that a crash restart uses the live API's state.
func (p *Process) UpdateConfig(cfg *Config) error {
	if cfg == nil {
		return errors.New("xray: config is nil")
	}
	p.opMu.Lock()
	defer p.opMu.Unlock()
	if err := p.writeConfig(cfg); err != nil {
		return err
	}
	p.mu.Lock()
	p.cfg = cfg
	p.mu.Unlock()
	return nil
}

// Config is the config Xray was last started or updated with (nil before).
func (p *Process) Config() *Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg
}

// IsRunning reports whether the child process is alive.
func (p *Process) IsRunning() bool {
	r := p.current()
	return r != nil && r.alive()
}

// Pid is the child's process id, 0 when not running.
func (p *Process) Pid() int {
	if r := p.current(); r != nil && r.alive() {
		return r.pid
	}
	return 0
}

// Uptime is how long the current child has run, 0 when not running.
func (p *Process) Uptime() time.Duration {
	if r := p.current(); r != nil && r.alive() {
		return time.Since(r.started)
	}
	return 0
}

// LastLogs returns up to n recent output lines, oldest first (n <= 0: all kept).
func (p *Process) LastLogs(n int) []string { return p.logs.Last(n) }

// LastError is the last unexpected exit or startup failure; a successful
// Start or Restart clears it, a supervised restart keeps the crash reason.
func (p *Process) LastError() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr
}

// Restarts counts the supervisor's restarts after crashes.
func (p *Process) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// APIAddress is the loopback address of the running config's API ("" if none).
func (p *Process) APIAddress() string {
	return apiAddressOf(p.Config())
}

func (p *Process) current() *run {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

func (r *run) alive() bool {
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// startSessionLocked starts the child and, when asked to, a supervisor for
// it. Any supervisor of an earlier session is ended first. Success clears
// LastError (a supervised restart keeps the crash reason visible).
func (p *Process) startSessionLocked(cfg *Config) error {
	p.endSupervisionLocked()
	if err := p.startLocked(cfg); err != nil {
		return err
	}
	p.mu.Lock()
	p.lastErr = ""
	p.mu.Unlock()
	p.superviseLocked()
	return nil
}

// superviseLocked starts a supervisor for the current run when asked to.
func (p *Process) superviseLocked() {
	if !p.opts.Supervise {
		return
	}
	stop := make(chan struct{})
	p.mu.Lock()
	p.stopSup = stop
	p.mu.Unlock()
	go p.supervise(stop)
}

func (p *Process) endSupervisionLocked() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopSup != nil {
		close(p.stopSup)
		p.stopSup = nil
	}
}

func (p *Process) stopLocked() error {
	p.endSupervisionLocked()
	r := p.current()
	if r == nil {
		return nil
	}
	err := terminate(r)
	if err == nil {
		p.removePidFile()
	}
	return err
}

// startLocked writes the config, execs Xray and waits until it serves.
func (p *Process) startLocked(cfg *Config) error {
	if cfg == nil {
		return p.fail(errors.New("xray: config is nil"))
	}
	if p.opts.BinaryPath == "" || p.opts.ConfigPath == "" {
		return p.fail(errors.New("xray: BinaryPath and ConfigPath must be set"))
	}
	if err := p.writeConfig(cfg); err != nil {
		return p.fail(err)
	}
	p.mu.Lock()
	p.cfg = cfg
	p.mu.Unlock()

	apiAddr := apiAddressOf(cfg)
	if apiAddr != "" && portAccepts(apiAddr) {
		return p.fail(fmt.Errorf("xray: api address %s is already in use by another process", apiAddr))
	}
	cmd := exec.Command(p.opts.BinaryPath, "run", "-c", p.opts.ConfigPath)
	cmd.Env = append(os.Environ(), "XRAY_LOCATION_ASSET="+assetDir(p.opts.BinaryPath))
	mark := p.logs.Total()
	var err error
	if p.opts.Detach {
		err = p.startDetachedLocked(cmd)
	} else {
		cmd.Stdout, cmd.Stderr = p.logs, p.logs
		err = startChild(cmd)
	}
	if err != nil {
		return p.fail(fmt.Errorf("xray: start %s: %w", p.opts.BinaryPath, err))
	}
	r := &run{cmd: cmd, pid: cmd.Process.Pid, started: time.Now(), done: make(chan struct{})}
	p.mu.Lock()
	p.cur = r
	p.mu.Unlock()
	go p.reap(r, mark)
	if p.opts.Detach {
		go p.tailLog(r, 0)
	}

	if err := p.waitReady(r, apiAddr, mark); err != nil {
		_ = terminate(r)
		return p.fail(err)
	}
	return nil
}

func (p *Process) writeConfig(cfg *Config) error {
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("xray: encode config: %w", err)
	}
	if err := atomicfile.Write(p.opts.ConfigPath, data, 0o600); err != nil {
		return fmt.Errorf("xray: write config: %w", err)
	}
	return nil
}

func (p *Process) fail(err error) error {
	p.mu.Lock()
	p.lastErr = err.Error()
	p.mu.Unlock()
	return err
}

// reap waits for the child and records an unexpected exit as the last error.
func (p *Process) reap(r *run, mark uint64) {
	err := r.cmd.Wait()
	p.mu.Lock()
	r.err = err
	if !r.stopping.Load() {
		msg := "xray exited unexpectedly: " + exitText(err)
		if tail := lastN(p.logs.Since(mark), 5); len(tail) > 0 {
			msg += "\n" + strings.Join(tail, "\n")
		}
		p.lastErr = msg
	}
	p.mu.Unlock()
	close(r.done)
}

// waitReady polls until Xray serves, exits, or startTimeout passes.
func (p *Process) waitReady(r *run, apiAddr string, mark uint64) error {
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-r.done:
			return fmt.Errorf("xray exited during startup (%s):\n%s",
				exitText(r.err), strings.Join(lastN(p.logs.Since(mark), errorLogLines), "\n"))
		case <-tick.C:
		}
		apiUp := apiAddr == "" || portAccepts(apiAddr)
		// "started" is logged once every inbound is listening; a config whose
		// log level hides it gets a short grace period instead.
		started := sawStarted(p.logs.Since(mark)) || time.Since(r.started) >= startedGrace
		if apiUp && started {
			return nil
		}
		if time.Now().After(deadline) {
			what := "did not report started"
			if !apiUp {
				what = "did not open its api port " + apiAddr
			}
			return fmt.Errorf("xray %s within %s; last log lines:\n%s",
				what, startTimeout, strings.Join(lastN(p.logs.Since(mark), errorLogLines), "\n"))
		}
	}
}

// terminate stops one run: SIGTERM, SIGKILL after stopTimeout.
func terminate(r *run) error {
	if !r.alive() {
		return nil
	}
	r.stopping.Store(true)
	// By pid: an adopted run has no *exec.Cmd.
	proc, err := os.FindProcess(r.pid)
	if err != nil {
		return err
	}
	_ = proc.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = proc.Kill()
	select {
	case <-r.done:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("xray (pid %d) did not exit after SIGKILL", r.pid)
	}
}

func sawStarted(lines []string) bool {
	for _, l := range lines {
		if strings.Contains(l, "core: Xray ") && strings.HasSuffix(l, " started") {
			return true
		}
	}
	return false
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func lastN(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}

func portAccepts(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// assetDir is where Xray looks for geo files: the binary's folder.
func assetDir(binary string) string {
	if abs, err := filepath.Abs(binary); err == nil {
		return filepath.Dir(abs)
	}
	return filepath.Dir(binary)
}

// apiAddressOf finds the API endpoint: the inbound tagged "api", else the
// api section's own "listen" address.
func apiAddressOf(cfg *Config) string {
	if cfg == nil {
		return ""
	}
	for _, in := range cfg.InboundConfigs {
		if in.Tag != "api" || in.Port <= 0 {
			continue
		}
		var listen string
		_ = json.Unmarshal(in.Listen, &listen)
		return net.JoinHostPort(dialHost(listen), fmt.Sprint(in.Port))
	}
	var api struct {
		Listen string `json:"listen"`
	}
	if len(cfg.API) == 0 || json.Unmarshal(cfg.API, &api) != nil || api.Listen == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(api.Listen)
	if err != nil {
		return ""
	}
	return net.JoinHostPort(dialHost(host), port)
}

// dialHost turns a listen address into one we can dial: a specific IP is
// kept, anything else (empty, 0.0.0.0, ::, a name) becomes 127.0.0.1.
func dialHost(listen string) string {
	ip := net.ParseIP(listen)
	if ip == nil || ip.IsUnspecified() {
		return "127.0.0.1"
	}
	return ip.String()
}
