package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSigmoidTanhSlices compares the inline Sigmoid and Tanh loops with
// the float64 library formulas rounded to float32, on random values of
// every magnitude and the special values: at most one float32 ulp apart
// (in practice equal), NaN kept, signs and infinities exact.
func TestSigmoidTanhSlices(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	src := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e-45, 1e-7, -1e-7, 0.5, -0.5, 0.34657359, -0.34657359,
		20, -20, 88, -88, 104, -104, 400, -400, 1e30, -1e30, math.MaxFloat32, -math.MaxFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for i := 0; i < 200000; i++ {
		src = append(src, float32(r.NormFloat64()*math.Pow(10, r.Float64()*8-5)))
	}
	sig, th := make([]float32, len(src)), make([]float32, len(src))
	sigmoidSlice(sig, src)
	tanhSlice(th, src)
	ulps := func(a, b float32) int64 {
		d := int64(int32(math.Float32bits(a))) - int64(int32(math.Float32bits(b)))
		if d < 0 {
			d = -d
		}
		return d
	}
	var diffS, diffT int
	for i, v := range src {
		ws, wt := Sigmoid(v), float32(math.Tanh(float64(v)))
		if v != v {
			if sig[i] == sig[i] || th[i] == th[i] {
				t.Fatalf("NaN in: sigmoid %g tanh %g", sig[i], th[i])
			}
			continue
		}
		if ulps(sig[i], ws) > 1 || ulps(th[i], wt) > 1 {
			t.Fatalf("x=%g: sigmoid %g (want %g), tanh %g (want %g)", v, sig[i], ws, th[i], wt)
		}
		if sig[i] != ws {
			diffS++
		}
		if th[i] != wt {
			diffT++
		}
	}
	t.Logf("%d sigmoid, %d tanh last-bit differences in %d", diffS, diffT, len(src))
	if diffS+diffT > len(src)/1000 {
		t.Errorf("%d sigmoid and %d tanh results differ in the last bit from %d", diffS, diffT, len(src))
	}
}
