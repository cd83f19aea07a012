//go:build unix

package sdktest

import (
	"errors"
	"syscall"
)

// processExists reports whether pid names a process (a zombie counts
// until its parent reaps it).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
