package nd

import (
	"math/bits"
	"sync"
)

// arenaMaxBytes bounds the memory an Arena keeps for reuse, so one huge
// batch does not pin its buffers forever.
const arenaMaxBytes = 256 << 20

// Arena recycles float32 buffers between runs of a model: a planned
// interpreter knows when each intermediate value dies and gives its buffer
// back, which saves the allocation, zeroing and garbage collection of
// large arrays. It is safe for concurrent use.
type Arena struct {
	mu    sync.Mutex
	free  map[int][][]float32 // by capacity (a power of two)
	bytes int
}

// NewArena returns an empty arena.
func NewArena() *Arena { return &Arena{free: map[int][][]float32{}} }

// NewF returns a zeroed float32 array marked Pooled; it panics with
// TooLarge like NewF.
func (a *Arena) NewF(shape ...int) *Array { return a.newF(true, shape) }

// NewFDirty is NewF without zeroing a recycled buffer, for outputs the
// caller overwrites completely.
func (a *Arena) NewFDirty(shape ...int) *Array { return a.newF(false, shape) }

func (a *Arena) newF(zero bool, shape []int) *Array {
	n := checked(shape)
	if a == nil || n < 256 {
		return &Array{DType: Float32, Shape: shape, F: make([]float32, n)}
	}
	class := 1 << bits.Len(uint(n-1))
	a.mu.Lock()
	var buf []float32
	if list := a.free[class]; len(list) > 0 {
		buf = list[len(list)-1]
		a.free[class] = list[:len(list)-1]
		a.bytes -= 4 * class
	}
	a.mu.Unlock()
	if buf == nil {
		buf = make([]float32, n, class)
	} else {
		buf = buf[:n]
		if zero {
			clear(buf)
		}
	}
	return &Array{DType: Float32, Shape: shape, F: buf, Pooled: true}
}

// Release gives the buffer of a Pooled array back. The caller guarantees
// that no live value shares it.
func (a *Arena) Release(f []float32) {
	class := cap(f)
	if a == nil || class < 256 || class&(class-1) != 0 {
		return
	}
	a.mu.Lock()
	if a.bytes+4*class <= arenaMaxBytes {
		a.free[class] = append(a.free[class], f[:0])
		a.bytes += 4 * class
	}
	a.mu.Unlock()
}
