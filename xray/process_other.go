//go:build !linux

package xray

import "os/exec"

// startChild starts cmd; outside Linux there is no parent-death signal.
func startChild(cmd *exec.Cmd) error { return cmd.Start() }

// startDetached starts cmd; outside Linux it is started like any child.
func startDetached(cmd *exec.Cmd) error { return cmd.Start() }
