package main

import (
	"runtime"
	"sync"
)

// minRowsPerWorker keeps small batches on one goroutine, where spawning
// costs more than it saves.
const minRowsPerWorker = 64

// parallelRows calls fn on contiguous row ranges [lo, hi) covering [0, n),
// on up to GOMAXPROCS goroutines. The model methods are read-only, so the
// ranges run concurrently.
func parallelRows(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minRowsPerWorker)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	var once sync.Once
	var caught any
	step := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A panic is re-raised on the caller's goroutine, where the
			// SDK recovers it into codes.Internal.
			defer func() {
				if r := recover(); r != nil {
					once.Do(func() { caught = r })
				}
			}()
			fn(lo, hi)
		}()
	}
	wg.Wait()
	if caught != nil {
		panic(caught)
	}
}
