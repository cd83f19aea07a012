package gpc

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// ProbaGrad returns the class probabilities at one point x and their
// gradients with respect to x (Classes x d, row-major), analytically:
// through the kernel into the latent mean and variance (latent.Grad), then
// through the link (dp = p_m dmean + p_v dvar), then through the
// normalisation: (-dp, dp) for two classes,
// dP_c = (dp_c S - p_c dS) / S^2 with S = sum_c p_c for more.
func (m *Model) ProbaGrad(x []float64) (prob, grad []float64) {
	_, d := m.X.Dims()
	k := m.Classes
	lk := linkFor(m.Inference)
	dmean := make([]float64, d)
	dvar := make([]float64, d)
	ps := make([]float64, len(m.Bins))
	dps := make([]float64, len(m.Bins)*d)
	for t, b := range m.Bins {
		mu, v := b.post.Grad(x, dmean, dvar)
		p, pm, pv := lk(mu, v)
		ps[t] = p
		for j := 0; j < d; j++ {
			dps[t*d+j] = pm*dmean[j] + pv*dvar[j]
		}
	}
	prob = make([]float64, k)
	grad = make([]float64, k*d)
	if k == 2 {
		prob[0], prob[1] = 1-ps[0], ps[0]
		for j := 0; j < d; j++ {
			grad[j], grad[d+j] = -dps[j], dps[j]
		}
		return prob, grad
	}
	s := 0.0
	ds := make([]float64, d)
	for t, p := range ps {
		s += p
		for j := 0; j < d; j++ {
			ds[j] += dps[t*d+j]
		}
	}
	if !(s > 0) { // every one-vs-rest probability underflowed: flat
		for c := range prob {
			prob[c] = 1 / float64(k)
		}
		return prob, grad
	}
	for c := 0; c < k; c++ {
		prob[c] = ps[c] / s
		for j := 0; j < d; j++ {
			grad[c*d+j] = (dps[c*d+j]*s - ps[c]*ds[j]) / (s * s)
		}
	}
	return prob, grad
}

// FDStep is the relative step of the finite-difference gradient option:
// h_j = FDStep * max(1, |x_j|), about the cube root of float64 epsilon,
// which balances truncation and rounding for central differences.
const FDStep = 6e-6

// ProbaGradFD is ProbaGrad by central finite differences of Proba: 2d
// predictions per point, for comparison with the analytic gradient.
func (m *Model) ProbaGradFD(x []float64) (prob, grad []float64) {
	d := len(x)
	k := m.Classes
	pts := mat.NewDense(2*d+1, d, nil)
	for j := 0; j < 2*d+1; j++ {
		copy(pts.RawRowView(j), x)
	}
	h := make([]float64, d)
	for j := 0; j < d; j++ {
		h[j] = FDStep * math.Max(1, math.Abs(x[j]))
		pts.RawRowView(2 * j)[j] += h[j]
		pts.RawRowView(2*j + 1)[j] -= h[j]
	}
	p := m.Proba(pts)
	prob = append([]float64(nil), p[2*d*k:]...)
	grad = make([]float64, k*d)
	for j := 0; j < d; j++ {
		for c := 0; c < k; c++ {
			grad[c*d+j] = (p[2*j*k+c] - p[(2*j+1)*k+c]) / (pts.At(2*j, j) - pts.At(2*j+1, j))
		}
	}
	return prob, grad
}
