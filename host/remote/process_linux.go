package remote

import (
	"os/exec"
	"syscall"
)

// configureCommand puts the plugin in its own process group, so signals
// sent to the host's terminal group do not reach it directly and the whole
// group can be stopped together.
func configureCommand(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
