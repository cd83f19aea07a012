package main

import (
	"math"
	"testing"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// TestOptimizerSteps checks two updates of each optimizer against the
// formulas written out by hand.
func TestOptimizerSteps(t *testing.T) {
	g0, g1 := []float32{0.5, -2}, []float32{-1, 4}
	for _, tc := range []struct {
		cfg  fitConfig
		want func(w0, a, b float64) float64
	}{
		{fitConfig{optimizer: "sgd", lr: 0.1, momentum: 0.9}, func(w0, a, b float64) float64 {
			w1 := w0 - 0.1*a
			return w1 - 0.1*(0.9*a+b)
		}},
		{fitConfig{optimizer: "sgd", lr: 0.1, momentum: 0, decay: 0.5}, func(w0, a, b float64) float64 {
			w1 := w0 - 0.1*(a+0.5*w0)
			return w1 - 0.1*(b+0.5*w1)
		}},
		{fitConfig{optimizer: "adam", lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8}, func(w0, a, b float64) float64 {
			// Step 1: m/c1 = a, v/c2 = a², so w moves by lr*a/|a|.
			w1 := w0 - 0.01*a/(math.Abs(a)+1e-8)
			m := 0.9*0.1*a + 0.1*b
			v := 0.999*0.001*a*a + 0.001*b*b
			mh, vh := m/(1-0.81), v/(1-0.999*0.999)
			return w1 - 0.01*mh/(math.Sqrt(vh)+1e-8)
		}},
	} {
		w := nd.FromF([]float32{1, -3}, 2)
		weights := []*nd.Array{nil, w}
		opt := newOptimizer(tc.cfg, []int{2})
		opt.update(weights, []int{1}, []*nd.Array{nd.FromF(append([]float32(nil), g0...), 2)})
		opt.update(weights, []int{1}, []*nd.Array{nd.FromF(append([]float32(nil), g1...), 2)})
		for j, w0 := range []float64{1, -3} {
			want := tc.want(w0, float64(g0[j]), float64(g1[j]))
			if math.Abs(float64(w.F[j])-want) > 1e-5 {
				t.Errorf("%s: weight %d = %g, want %g", tc.cfg.optimizer, j, w.F[j], want)
			}
		}
	}
}
