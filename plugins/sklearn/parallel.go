package main

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// minRowsPerWorker keeps batches of up to a few thousand rows on one
// goroutine. The kernels are SIMD-bound, and on the shared 2-core machine
// this is tuned on, a second goroutine made 1000-row calls slower for
// every family, light and heavy (SVC rbf 7.2 ms alone vs 9.3 ms on two,
// GradientBoosting 0.90 vs 1.0 ms, LinearSVC 0.08 vs 0.14 ms): its
// wake-up, the runtime's spinning and the contention cost more than the
// split saves unless each goroutine has many rows.
const minRowsPerWorker = 1024

// chunksPerWorker is how many pieces each goroutine's share is cut into.
// Pieces are claimed one at a time, so a goroutine the OS is slow to run
// (a busy machine) leaves its pieces to the others instead of holding up
// the call.
const chunksPerWorker = 4

// parallelRows calls fn on contiguous row ranges [lo, hi) covering [0, n),
// on up to GOMAXPROCS goroutines, the caller's included. The model methods
// are read-only and a row's result does not depend on the range it is in,
// so the ranges run concurrently.
func parallelRows(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minRowsPerWorker)
	if workers <= 1 {
		fn(0, n)
		return
	}
	// Ranges are multiples of 8 rows, the matrix kernels' tile height.
	step := (n/(workers*chunksPerWorker) + 7) &^ 7
	chunks := (n + step - 1) / step
	var next atomic.Int64
	var once sync.Once
	var caught any
	run := func() {
		// A panic is re-raised on the caller's goroutine, where the SDK
		// recovers it into codes.Internal.
		defer func() {
			if r := recover(); r != nil {
				once.Do(func() { caught = r })
				next.Store(int64(chunks)) // stop the others early
			}
		}()
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			fn(c*step, min((c+1)*step, n))
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run()
		}()
	}
	run()
	wg.Wait()
	if caught != nil {
		panic(caught)
	}
}
