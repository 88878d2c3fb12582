package xray

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// The kernel sends Pdeathsig when the *thread* that forked the child exits,
// not the process (go.dev/issue/27505). Every Xray is therefore started
// from one goroutine locked to its thread for the life of the panel, so the
// signal fires only when the panel itself dies.
var (
	spawnOnce sync.Once
	spawnReqs chan spawnReq
)

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

// startChild starts cmd so that the kernel kills it if the panel dies
// without stopping it, and a panel crash never leaves an orphan holding the
// ports.
func startChild(cmd *exec.Cmd) error {
	// Setpgid keeps a terminal's Ctrl-C (sent to the whole foreground
	// group) away from Xray: the panel must drain its counters first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	spawnOnce.Do(func() {
		spawnReqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: this thread lives as long as the panel
			for req := range spawnReqs {
				req.done <- req.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawnReqs <- spawnReq{cmd: cmd, done: done}
	return <-done
}

// startDetached starts cmd in its own session and without a parent-death
// signal, so Xray keeps serving when the panel exits or crashes.
func startDetached(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd.Start()
}
