package ops

import (
	"math"
	"testing"
)

// TestReluSlice checks the vector and scalar paths on every length
// around the 32-value blocks, including signed zeros and infinities.
func TestReluSlice(t *testing.T) {
	for n := 0; n < 100; n++ {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i%7) - 3.5
		}
		if n > 3 {
			src[1], src[2], src[3] = float32(math.Inf(-1)), float32(math.Inf(1)), float32(math.Copysign(0, -1))
		}
		dst := make([]float32, n)
		reluSlice(dst, src)
		for i, v := range src {
			want := float32(0)
			if v > 0 {
				want = v
			}
			if dst[i] != want || math.Signbit(float64(dst[i])) {
				t.Fatalf("n=%d: relu(%g) = %g, want %g", n, v, dst[i], want)
			}
		}
	}
}
