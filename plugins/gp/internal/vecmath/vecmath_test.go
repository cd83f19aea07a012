package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExp compares Exp with math.Exp over the range the kernels use
// (x <= 0), across the underflow threshold, at the range-reduction
// boundaries, and for lengths with and without a scalar tail.
func TestExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var xs []float64
	for i := 0; i < 20000; i++ {
		xs = append(xs, -rng.ExpFloat64()*5, -rng.Float64()*800, rng.Float64()*10)
	}
	for k := -1080; k <= 10; k++ {
		for _, d := range []float64{-0.5, -1e-12, 0, 1e-12, 0.5} {
			xs = append(xs, (float64(k)+d)*math.Ln2)
		}
	}
	xs = append(xs, 0, math.Copysign(0, -1), -745.1, -745.5, -746, -1e6, -math.MaxFloat64, -708.4, -709.8)
	for _, n := range []int{0, 1, 31, 32, 33, 95, len(xs)} {
		got := append([]float64(nil), xs[:n]...)
		Exp(got)
		for i, x := range xs[:n] {
			want := math.Exp(x)
			if want < 1e-300 { // underflow region: compare absolutely
				if math.Abs(got[i]-want) > 1e-307 {
					t.Fatalf("n=%d: exp(%v) = %v, want %v", n, x, got[i], want)
				}
				continue
			}
			if d := math.Abs(got[i]-want) / want; d > 4e-16 {
				t.Fatalf("n=%d: exp(%v) = %v, want %v (relative error %g)", n, x, got[i], want, d)
			}
		}
	}
}

func BenchmarkExp(b *testing.B) {
	x := make([]float64, 4096)
	for i := range x {
		x[i] = -float64(i) / 100
	}
	y := make([]float64, len(x))
	b.Run("vecmath", func(b *testing.B) {
		for b.Loop() {
			copy(y, x)
			Exp(y)
		}
	})
	b.Run("math", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				y[i] = math.Exp(v)
			}
		}
	})
}
