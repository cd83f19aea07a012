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
	// The vector loops (AVX2 where available) do the scalar loops'
	// operations in the same order: the same bits.
	sig1, th1 := make([]float32, len(src)), make([]float32, len(src))
	sigmoidScalar(sig1, src)
	tanhScalar(th1, src)
	for i := range src {
		if math.Float32bits(sig[i]) != math.Float32bits(sig1[i]) && !(sig[i] != sig[i] && sig1[i] != sig1[i]) ||
			math.Float32bits(th[i]) != math.Float32bits(th1[i]) && !(th[i] != th[i] && th1[i] != th1[i]) {
			t.Fatalf("x=%g: sigmoid %g, scalar %g; tanh %g, scalar %g", src[i], sig[i], sig1[i], th[i], th1[i])
		}
	}
	if diffS+diffT > len(src)/1000 {
		t.Errorf("%d sigmoid and %d tanh results differ in the last bit from %d", diffS, diffT, len(src))
	}
}

// TestExpNeg checks ExpNeg against math.Exp over its range, its NaN
// passthrough, and its vector loop against the scalar one.
func TestExpNeg(t *testing.T) {
	var src []float64
	for y := 0.0; y >= -710; y -= 0.37 {
		src = append(src, y)
	}
	src = append(src, math.Copysign(0, -1), -1e-300, math.Inf(-1), math.NaN(), -3.5)
	got := make([]float64, len(src))
	ExpNeg(got, src)
	for i, y := range src {
		want := math.Exp(max(y, -700))
		if y != y {
			if got[i] == got[i] {
				t.Fatalf("ExpNeg(NaN) = %g", got[i])
			}
			continue
		}
		if math.Abs(got[i]-want) > 1e-12*want {
			t.Fatalf("ExpNeg(%g) = %g, want %g", y, got[i], want)
		}
		one := make([]float64, 1)
		ExpNeg(one, src[i:i+1]) // the scalar loop
		if math.Float64bits(one[0]) != math.Float64bits(got[i]) {
			t.Fatalf("ExpNeg(%g): %g in the vector loop, %g in the scalar one", y, got[i], one[0])
		}
	}
}
