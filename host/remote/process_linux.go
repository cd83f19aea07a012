package remote

import (
	"errors"
	"os/exec"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// configureCommand puts the plugin in its own process group, so signals
// sent to the host's terminal group do not reach it directly and the whole
// group can be stopped together, and asks the kernel to SIGKILL it when
// its parent dies, so no plugin outlives a host killed with SIGKILL.
func configureCommand(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// startLocked starts cmd from a goroutine locked to its OS thread and keeps
// that goroutine (and so the thread) alive until the process ends.
// Pdeathsig fires when the thread that forked the child exits, not the
// process; a Go runtime thread can end whenever a goroutine locked to it
// returns, so the fork must happen on a thread we own for the child's
// whole life. When the process ends, dying is called before it is reaped
// (while its pid cannot be reused, so signals to it or its group are
// safe up to then), then exited with Wait's error.
func startLocked(cmd *exec.Cmd, dying func(), exited func(error)) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		var info unix.Siginfo
		for {
			err := unix.Waitid(unix.P_PID, cmd.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
			if !errors.Is(err, syscall.EINTR) {
				break
			}
		}
		dying()
		exited(cmd.Wait())
	}()
	return <-started
}

// killGroup sends SIGKILL to the plugin's process group (the plugin and
// anything it started that stayed in the group).
func killGroup(pid int) error {
	if pid <= 0 {
		return nil
	}
	err := syscall.Kill(-pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// setMemoryLimit caps the data segment of process pid (RLIMIT_DATA: its
// private writable memory, heap included) at limit bytes, so the kernel
// refuses the plugin memory and the plugin dies before the machine runs
// out. RLIMIT_AS would count address space reserved but never used: an
// idle Go plugin built with cgo reserves about 1.8 GB of it (thread stacks,
// malloc arenas) while using under 150 MB of data.
func setMemoryLimit(pid int, limit uint64) error {
	return unix.Prlimit(pid, unix.RLIMIT_DATA, &unix.Rlimit{Cur: limit, Max: limit}, nil)
}

// processAlive reports whether a process with this pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
