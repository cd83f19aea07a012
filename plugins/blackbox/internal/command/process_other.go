//go:build !linux

package command

import "os/exec"

// setProcessAttrs has no process-group support outside Linux.
func setProcessAttrs(cmd *exec.Cmd) {}

// killGroup kills the program.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
