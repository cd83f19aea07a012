package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// TestVectorLoops checks the AVX2 add and Relu-mask loops (where the CPU
// has them) bit for bit against their scalar definitions, on lengths
// around the vector width and special values.
func TestVectorLoops(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-45, -1e-45}
	for _, n := range []int{0, 1, 7, 8, 9, 31, 64, 77} {
		x, g, d := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], g[i], d[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())
			if r.IntN(4) == 0 {
				x[i] = special[r.IntN(len(special))]
			}
		}
		wantAdd := make([]float32, n)
		for i := range d {
			wantAdd[i] = d[i] + x[i]
		}
		gotAdd := append([]float32(nil), d...)
		done := addFast(gotAdd, x)
		for i := done; i < n; i++ {
			gotAdd[i] += x[i]
		}
		wantMask := make([]float32, n)
		for i, v := range x {
			if int32(math.Float32bits(v)) > 0 {
				wantMask[i] = g[i]
			}
		}
		res, err := vjpRelu(nil, nil, []*nd.Array{nd.FromF(x, n)}, []*nd.Array{nd.NewF(n)}, []*nd.Array{nd.FromF(g, n)}, []bool{true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range wantMask {
			if math.Float32bits(res[0].F[i]) != math.Float32bits(wantMask[i]) {
				t.Fatalf("n=%d relu mask[%d] of x=%g: %g, want %g", n, i, x[i], res[0].F[i], wantMask[i])
			}
		}
		for i := range wantAdd {
			if math.Float32bits(gotAdd[i]) != math.Float32bits(wantAdd[i]) {
				t.Fatalf("n=%d add[%d] = %g, want %g", n, i, gotAdd[i], wantAdd[i])
			}
		}
	}
}

// TestAddScalarFast checks dst = src + b (AVX2 where available) against
// the scalar loop, including the leftover of a length not a multiple of 8.
func TestAddScalarFast(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 64, 70} {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i)*0.37 - 3
		}
		dst := make([]float32, n)
		for i := addScalarFast(dst, src, 1.25); i < n; i++ {
			dst[i] = src[i] + 1.25
		}
		for i := range dst {
			if dst[i] != src[i]+1.25 {
				t.Fatalf("n=%d element %d: %g, want %g", n, i, dst[i], src[i]+1.25)
			}
		}
	}
}
