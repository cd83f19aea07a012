package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/arthost/arthost/shared/tensor"
)

// oomSelfLimit is the data-segment limit the plugin sets on itself before
// fault=oom when the host gave it none, so a run without a limit cannot
// exhaust the machine.
const oomSelfLimit = 512 << 20

// faultSpec is the misbehaviour chosen by the options.
type faultSpec struct {
	kind      string
	after     int64
	delay     time.Duration
	poison    float64
	hasPoison bool
}

// due reports whether call number n (from 1) with input x faults.
func (s faultSpec) due(n int64, x tensor.Tensor) bool {
	if s.kind == "" {
		return false
	}
	if s.hasPoison && x.Len() > 0 && x.At(0) == s.poison {
		return true
	}
	return n > s.after
}

// inject misbehaves as the spec says. The crashing faults do not return.
func (s faultSpec) inject() {
	switch s.kind {
	case "panic":
		// A panic on a goroutine of its own: no recover in the SDK can
		// catch it, so the process dies as a native crash would.
		go func() { panic("faulty: injected panic") }()
		select {}
	case "exit":
		os.Exit(3)
	case "segv":
		segfault()
	case "hang":
		select {}
	case "oom":
		exhaustMemory()
	case "garbage-log":
		garbageLog()
	case "slow":
		time.Sleep(s.delay)
	}
}

// exhaustMemory allocates and touches memory until the memory limit
// stops the runtime, which then exits with "out of memory".
func exhaustMemory() {
	ensureMemoryLimit(oomSelfLimit)
	var keep [][]byte
	for {
		b := make([]byte, 32<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
	}
}

// garbageLog writes what breaks naive log parsers to file descriptor 2, as
// a native library would (go-plugin redirects os.Stderr to the host's
// stdio stream): truncated JSON, JSON with the wrong types, control bytes,
// a 1 MiB line and a burst of lines.
func garbageLog() {
	w := rawStderr
	fmt.Fprintln(w, `{"@level":"error","@message":"truncated`)
	fmt.Fprintln(w, `{"@level":5,"@message":{"nested":[1,2]},"@timestamp":"not a time"}`)
	fmt.Fprintln(w, `[ERROR] plain text with a level prefix`)
	fmt.Fprintln(w, "binary \x00\x01\x02\xff\xfe bytes")
	fmt.Fprintln(w, "panic: not really a panic, just a line that looks like one")
	fmt.Fprintln(w, strings.Repeat("x", 1<<20))
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(w, `{"@level":"info","@message":"burst %d"}`+"\n", i)
	}
}

// rawStderr is file descriptor 2 itself. It lives as long as the process:
// a File dropped by the garbage collector would close the descriptor.
var rawStderr = os.NewFile(2, "stderr")

// unmapped is a nil pointer; reading through it faults at address zero,
// which no process maps.
var unmapped *int
