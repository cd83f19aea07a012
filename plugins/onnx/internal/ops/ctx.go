package ops

import (
	"sync"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// Ctx carries what kernels share during one run: the number of goroutines
// they may use and where large outputs come from.
type Ctx struct {
	// Threads is the parallelism across the batch; 0 or 1 means serial.
	Threads int
	// Arena, when set, supplies recycled output buffers.
	Arena *nd.Arena
	// GoutOwned tells a backward rule that no one else holds the
	// gradient of its (single) output: an elementwise rule may write its
	// input gradient over it and return it.
	GoutOwned bool
}

// NewF returns a zeroed float32 output array, from the arena when there
// is one.
func (ctx *Ctx) NewF(shape ...int) *nd.Array {
	if ctx == nil || ctx.Arena == nil {
		return nd.NewF(shape...)
	}
	return ctx.Arena.NewF(shape...)
}

// Parallel splits [0, n) into at most ctx.Threads contiguous chunks and
// runs f on each, waiting for all. With one thread it calls f(0, n). A
// panic in a chunk is re-raised in the caller after all chunks finish.
func (ctx *Ctx) Parallel(n int, f func(lo, hi int)) {
	t := 1
	if ctx != nil && ctx.Threads > 1 {
		t = ctx.Threads
	}
	if t > n {
		t = n
	}
	if t <= 1 {
		f(0, n)
		return
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		panicked any
	)
	chunk := (n + t - 1) / t
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					panicked = r
					mu.Unlock()
				}
			}()
			f(lo, hi)
		}()
	}
	wg.Wait()
	if panicked != nil {
		// Re-raise in the caller's goroutine, where the interpreter
		// recovers it into an error naming the node.
		panic(panicked)
	}
}

// newOut returns a float32 array whose every element the caller will
// write: a recycled arena buffer is not zeroed first.
func (ctx *Ctx) newOut(shape ...int) *nd.Array {
	if ctx == nil || ctx.Arena == nil {
		return nd.NewF(shape...)
	}
	return ctx.Arena.NewFDirty(shape...)
}

// releaseTo returns a scratch array obtained from ctx.NewF to the arena.
func releaseTo(ctx *Ctx, a *nd.Array) {
	if ctx != nil && ctx.Arena != nil && a.Pooled {
		ctx.Arena.Release(a.F)
	}
}
