package sdk

import (
	"math"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

// TestFirstNonFinite checks the bit-level scan against tensor's own scan
// for every special value at every position of a block and its tail.
func TestFirstNonFinite(t *testing.T) {
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -math.NaN()}
	finite := []float64{0, -0.0, 1, -1, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1e30, -1e-30}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		for _, n := range []int{0, 1, 7, 31, 32, 33, 70} {
			x := tensor.New(dt, n)
			for i := 0; i < n; i++ {
				x = setAt(x, i, finite[i%len(finite)])
			}
			if got := firstNonFinite(x); got != -1 {
				t.Fatalf("%v n=%d all finite: got %d", dt, n, got)
			}
			for pos := 0; pos < n; pos++ {
				for _, sp := range specials {
					y := setAt(cloneT(x), pos, sp)
					if pos+1 < n {
						y = setAt(y, n-1, sp) // a later one must not win
					}
					want := y.FirstNonFinite()
					if got := firstNonFinite(y); got != want || got != pos {
						t.Fatalf("%v n=%d %v at %d: got %d, tensor says %d", dt, n, sp, pos, got, want)
					}
				}
			}
		}
	}
}

func cloneT(x tensor.Tensor) tensor.Tensor {
	y := x
	y.F32 = append([]float32(nil), x.F32...)
	y.F64 = append([]float64(nil), x.F64...)
	return y
}

func setAt(x tensor.Tensor, i int, v float64) tensor.Tensor {
	if x.DType == tensor.Float32 {
		x.F32[i] = float32(v)
	} else {
		x.F64[i] = v
	}
	return x
}

// TestFirstNonFiniteUnaligned runs the float32 scan on views that start 4
// bytes past an 8-byte boundary, where the word view must skip one value.
func TestFirstNonFiniteUnaligned(t *testing.T) {
	base := make([]float32, 101)
	for off := 0; off < 2; off++ {
		for pos := off; pos < len(base); pos++ {
			for i := range base {
				base[i] = float32(i)
			}
			base[pos] = float32(math.Inf(-1))
			x := tensor.Tensor{DType: tensor.Float32, Shape: []int{len(base) - off}, F32: base[off:]}
			if got, want := firstNonFinite(x), pos-off; got != want {
				t.Fatalf("offset %d, -Inf at %d: got %d, want %d", off, want, got, want)
			}
		}
	}
}
