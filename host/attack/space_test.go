package attack

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

// TestStepInfMatchesSeparateSteps checks the one-pass norm-inf step
// (stepInf on float64 rows, stepInf32 on float32 rows) against the
// separate functions it replaces (orient, direction, step, project), bit
// for bit, on gradients with NaN, zeros of both signs and infinities,
// rows on and beyond the clip values, with and without clip values.
func TestStepInfMatchesSeparateSteps(t *testing.T) {
	const n, feat = 7, 5
	clips := []struct {
		name   string
		lo, hi []float64
	}{
		{"none", nil, nil},
		{"one", []float64{0}, []float64{1}},
		{"per feature", []float64{0.2, 0, 0.1, 0.3, -1}, []float64{0.8, 1, 0.5, 0.9, 0.05}},
	}
	for _, f32 := range []bool{false, true} {
		for _, c := range clips {
			for _, targeted := range []bool{false, true} {
				name := c.name
				if f32 {
					name += "/float32"
				}
				if targeted {
					name += "/targeted"
				}
				t.Run(name, func(t *testing.T) {
					s := space{f32: f32, feat: feat, shape: []int{feat}, lo: c.lo, hi: c.hi}
					rng := rand.New(rand.NewPCG(3, 9))
					specials := []float64{math.NaN(), 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 1e-300, -1e-45}
					for round := range 50 {
						x0, x, g := make([]float64, n*feat), make([]float64, n*feat), make([]float64, n*feat)
						for i := range x0 {
							x0[i] = s.r(rng.Float64()*1.4 - 0.2)
							x[i] = s.r(x0[i] + 0.3*rng.NormFloat64())
							g[i] = rng.NormFloat64()
							if rng.IntN(4) == 0 {
								g[i] = specials[rng.IntN(len(specials))]
							}
						}
						if round%2 == 0 {
							s.clip(x0)
							s.clip(x)
						}
						p := Params{Norm: NormInf, Eps: 0.1 + 0.05*rng.Float64(), Targeted: targeted}
						epsStep := 0.01 + 0.05*rng.Float64()

						want := append([]float64(nil), x...)
						w := append([]float64(nil), g...)
						if f32 {
							for i := range w {
								w[i] = float64(float32(w[i]))
							}
						}
						orient(w, targeted)
						s.direction(NormInf, w)
						s.step(want, w, epsStep)
						s.project(want, x0, p.Eps, NormInf)

						gt := tensor.FromFloat64(append([]float64(nil), g...), n, feat)
						if f32 {
							gt = gt.As(tensor.Float32)
						}
						got := append([]float64(nil), x...)
						s.update(got, x0, gt, make([]float64, len(x)), p, epsStep)
						same(t, "stepInf", got, want)

						if f32 {
							r := newRows32(s, x0)
							r.enter(x)
							stepInf32(r.cur, r.x0, gt.F32, r.lo, r.hi, feat, targeted, float32(epsStep), p.Eps)
							got32 := make([]float64, len(x))
							r.leave(got32)
							same(t, "stepInf32 on float32 rows", got32, want)
						}
					}
				})
			}
		}
	}
}

func same(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			t.Fatalf("%s: element %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}
