//go:build !linux

package main

// segfault reads an unmapped address; outside Linux the Go runtime turns
// the fault into an unrecoverable panic on this goroutine.
func segfault() {
	go func() {
		println(*unmapped)
	}()
	select {}
}

// ensureMemoryLimit is a no-op outside Linux.
func ensureMemoryLimit(uint64) {}
