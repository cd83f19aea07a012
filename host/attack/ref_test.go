package attack_test

import (
	"math"

	"github.com/arthost/arthost/host/attack"
)

// This file is the tests' independent reference: ART's formulas written
// out per sample, straight from fast_gradient.py and
// projected_gradient_descent_numpy.py, with r rounding every operation to
// the input's dtype as NumPy does.

// gradsFn returns the loss gradient of every row for labels y.
type gradsFn func(rows [][]float64, y []int) [][]float64

type refModel struct {
	grads  gradsFn
	lo, hi func(j int) (float64, float64)
	r      func(float64) float64
}

func exact(v float64) float64 { return v }
func f32(v float64) float64   { return float64(float32(v)) }

// refDirection is _apply_norm for one sample.
func refDirection(g []float64, norm attack.Norm, r func(float64) float64) []float64 {
	out := make([]float64, len(g))
	sgn := func(v float64) float64 {
		if v > 0 {
			return 1
		} else if v < 0 {
			return -1
		}
		return 0
	}
	switch norm {
	case attack.NormInf:
		for i, v := range g {
			out[i] = sgn(v)
		}
	case attack.Norm1:
		im := 0
		for i := range g {
			if math.Abs(g[i]) > math.Abs(g[im]) {
				im = i
			}
		}
		out[im] = sgn(g[im])
	case attack.Norm2:
		s := 0.0
		for _, v := range g {
			s += v * v
		}
		q := r(math.Sqrt(s))
		if q == 0 {
			return out
		}
		for i, v := range g {
			out[i] = r(r(math.Abs(v)/q) * sgn(v))
		}
	}
	return out
}

// refStep is one _compute step from cur for one sample: step, clip,
// project around x0.
func (m refModel) refStep(cur, x0, g []float64, eps, epsStep float64, norm attack.Norm, targeted bool) []float64 {
	r := m.r
	if targeted {
		for i := range g {
			g[i] = -g[i]
		}
	}
	d := refDirection(g, norm, r)
	out := make([]float64, len(cur))
	for j := range cur {
		lo, hi := m.lo(j)
		v := r(cur[j] + r(r(epsStep)*d[j]))
		out[j] = r(math.Min(math.Max(v, lo), hi))
	}
	delta := make([]float64, len(cur))
	for j := range out {
		delta[j] = r(out[j] - x0[j])
	}
	switch norm {
	case attack.NormInf:
		for j, v := range delta {
			delta[j] = r(math.Copysign(math.Min(math.Abs(v), eps), v))
			if v == 0 {
				delta[j] = 0
			}
		}
	default:
		n := 0.0
		for _, v := range delta {
			if norm == attack.Norm1 {
				n += math.Abs(v)
			} else {
				n += v * v
			}
		}
		if norm == attack.Norm2 {
			n = math.Sqrt(n)
		}
		n = r(n)
		f := 0.0
		if n != 0 {
			f = math.Min(1, eps/n)
		}
		for j := range delta {
			delta[j] = r(delta[j] * f)
		}
	}
	for j := range out {
		lo, hi := m.lo(j)
		out[j] = math.Min(math.Max(r(x0[j]+delta[j]), lo), hi)
	}
	return out
}

// refPGD runs iters steps from x0 (FGSM is iters 1 with epsStep eps).
func (m refModel) refPGD(x0 [][]float64, y []int, eps, epsStep float64, iters int, norm attack.Norm, targeted bool) [][]float64 {
	cur := x0
	for range iters {
		g := m.grads(cur, y)
		next := make([][]float64, len(cur))
		for i := range cur {
			next[i] = m.refStep(cur[i], x0[i], g[i], eps, epsStep, norm, targeted)
		}
		cur = next
	}
	return cur
}

// refMinimal is _minimal_perturbation for one batch: steps k*epsStep
// along the direction at x0 until the class changes (or reaches the
// target), with classify giving the class of one sample.
func (m refModel) refMinimal(x0 [][]float64, y []int, eps, epsStep float64, norm attack.Norm, targeted bool, classify func([]float64) int) [][]float64 {
	g := m.grads(x0, y)
	out := make([][]float64, len(x0))
	for i := range x0 {
		gi := append([]float64(nil), g[i]...)
		if targeted {
			for j := range gi {
				gi[j] = -gi[j]
			}
		}
		d := refDirection(gi, norm, m.r)
		out[i] = x0[i]
		for cur := epsStep; cur <= eps; cur += epsStep {
			cand := make([]float64, len(d))
			for j := range d {
				lo, hi := m.lo(j)
				cand[j] = m.r(math.Min(math.Max(m.r(x0[i][j]+m.r(m.r(cur)*d[j])), lo), hi))
			}
			out[i] = cand
			if (classify(cand) == y[i]) == targeted {
				break
			}
		}
	}
	return out
}
