package main

// How a panel ends decides whether Xray keeps serving:
//
//   - SIGTERM (systemctl restart, x-ui.sh restart, an upgrade by
//     install.sh, systemd's stop signal) and SIGUSR2 end the panel alone:
//     Xray's counters are drained into the journal and flushed once, Xray
//     keeps serving, and the next panel adopts it. A crash leaves Xray too.
//   - An explicit stop (`x-ui stop`, which x-ui.sh stop and the unit's
//     ExecStop run, so also `systemctl stop x-ui`) writes a stop marker
//     naming the panel's pid and then sends SIGTERM: the panel that finds
//     its own pid in the marker drains, flushes and stops Xray too.
//   - SIGINT (Ctrl-C on a panel run by hand in a terminal) is a full stop.
//
// systemd runs ExecStop for a restart as well, so under the unit
// (`x-ui stop -unit NAME`) the command does nothing when the unit has a
// restart job queued, or when the panel has already exited (crash,
// panel-only restart): those keep Xray.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mhsanaei/3x-ui/v2/app"
	"github.com/mhsanaei/3x-ui/v2/config"
	"github.com/mhsanaei/3x-ui/v2/xray"
)

// panelStopTimeout bounds how long `x-ui stop` waits for the panel's
// ordered shutdown (HTTP drain, final flush, Xray stop); it stays under
// the unit's TimeoutStopSec (30s), after which systemd kills ExecStop.
const panelStopTimeout = 25 * time.Second

// panelPidPath records the running panel's pid for `x-ui stop`.
func panelPidPath() string { return filepath.Join(config.GetDBFolderPath(), "x-ui.pid") }

// stopMarkerPath holds the pid of a panel asked to stop Xray with it.
func stopMarkerPath() string { return filepath.Join(config.GetDBFolderPath(), "x-ui.stop") }

// writePanelPid records this panel; a stop marker left by an earlier run
// is removed so it cannot turn the next restart into a stop.
func writePanelPid() func() {
	_ = os.Remove(stopMarkerPath())
	path := panelPidPath()
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "x-ui: cannot write %s (x-ui stop then needs the pid): %v\n", path, err)
		return func() {}
	}
	return func() {
		if readPid(path) == os.Getpid() {
			_ = os.Remove(path)
		}
	}
}

// stopRequested reports whether `x-ui stop` asked this panel to stop Xray
// too, and consumes the marker.
func stopRequested() bool {
	if readPid(stopMarkerPath()) != os.Getpid() {
		return false
	}
	_ = os.Remove(stopMarkerPath())
	return true
}

// readPid is the number in path (0 when missing or unreadable).
func readPid(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0
	}
	return pid
}

// isPanel reports whether pid is a live x-ui process (the same binary
// name as this one), so a recycled pid is never signalled.
func isPanel(pid int) bool {
	if pid <= 0 {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	self, _ := os.Executable()
	return len(args) > 0 && filepath.Base(args[0]) == filepath.Base(self) && processAlive(pid)
}

// processAlive is false for a missing or zombie process.
func processAlive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// runStop is `x-ui stop [-unit NAME]`: stop the panel and its Xray.
func runStop(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	unit := fs.String("unit", "", "run as the systemd unit's ExecStop (keeps Xray on a restart or after a crash)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "stop: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	pid := readPid(panelPidPath())
	if *unit != "" {
		// systemd sets MAINPID while the panel runs and unsets it once
		// the panel exited on its own.
		mainPid, _ := strconv.Atoi(os.Getenv("MAINPID"))
		if mainPid == 0 {
			fmt.Fprintln(stdout, "x-ui already exited (crash or panel-only restart); xray keeps serving")
			return 0
		}
		if restartQueued(*unit) {
			fmt.Fprintln(stdout, "x-ui restarting; xray keeps serving and the next panel adopts it")
			return 0
		}
		pid = mainPid
	}
	if isPanel(pid) {
		if err := stopPanel(pid); err != nil {
			fmt.Fprintf(stderr, "stop: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "x-ui (pid %d) and its xray stopped\n", pid)
		return 0
	}
	// No panel: an Xray a crashed panel left behind is stopped directly.
	// Its counters since the panel's last drain are lost.
	stopped, err := stopOrphanXray()
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "stop: %v\n", err)
		return 1
	case stopped:
		fmt.Fprintln(stdout, "x-ui was not running; its xray stopped (counters since the panel's last drain are lost)")
	default:
		fmt.Fprintln(stdout, "x-ui is not running")
	}
	return 0
}

// stopPanel marks pid for a full stop, sends SIGTERM and waits for it.
func stopPanel(pid int) error {
	if err := os.WriteFile(stopMarkerPath(), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", stopMarkerPath(), err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		_ = os.Remove(stopMarkerPath())
		return fmt.Errorf("signal x-ui (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(panelStopTimeout)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("x-ui (pid %d) still running after %s", pid, panelStopTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// stopOrphanXray stops the Xray recorded in the bin folder's pid file.
func stopOrphanXray() (bool, error) {
	proc := xray.NewProcess(xray.ProcessOptions{
		BinaryPath: app.XrayBinaryPath(),
		ConfigPath: filepath.Join(config.GetBinFolderPath(), "config.json"),
		Detach:     true,
	})
	adopted, err := proc.Adopt()
	if err != nil {
		// Adopt stops a matching Xray it cannot manage.
		return true, nil
	}
	if !adopted {
		return false, nil
	}
	if err := proc.Stop(); err != nil {
		return false, fmt.Errorf("stop xray: %w", err)
	}
	return true, nil
}

// restartQueued asks systemd whether unit has a restart job running.
func restartQueued(unit string) bool {
	out, err := exec.Command("systemctl", "list-jobs", "--no-legend", "--no-pager", unit).Output()
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return false
		}
	}
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		// JOB UNIT TYPE STATE
		if len(fields) >= 3 && fields[1] == unit && fields[2] == "restart" {
			return true
		}
	}
	return false
}
