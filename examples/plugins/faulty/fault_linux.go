package main

import (
	"syscall"
	"unsafe"
)

// segfault dies of SIGSEGV the way a native library does: it restores the
// default action for SIGSEGV (so the Go runtime does not turn the fault
// into a panic) and then reads an unmapped address.
func segfault() {
	var act [4]uint64 // struct sigaction, all zero: SIG_DFL
	syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGSEGV), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	println(*unmapped)
}

// ensureMemoryLimit sets RLIMIT_DATA (the limit the host sets) to limit
// when none is set.
func ensureMemoryLimit(limit uint64) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_DATA, &r); err == nil && r.Cur == ^uint64(0) {
		syscall.Setrlimit(syscall.RLIMIT_DATA, &syscall.Rlimit{Cur: limit, Max: r.Max})
	}
}
