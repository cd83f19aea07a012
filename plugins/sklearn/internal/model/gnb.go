package model

import (
	"fmt"
	"math"
)

// GaussianNB: the joint log-likelihood of class k is
//
//	jll_k = log prior_k - 1/2 sum_f log(2 pi var_kf) - 1/2 sum_f (x_f - theta_kf)^2 / var_kf
//
// and predict_proba is exp(jll - logsumexp(jll)) = softmax(jll).
type GaussianNB struct {
	base
	d, k      int
	prior     []float64
	theta, vr []float64 // k x d
	logNorm   []float64 // log prior_k - 1/2 sum log(2 pi var_k)
	invVar    []float64 // 1 / var, k x d
	smoothing float64   // var_smoothing used by Fit
}

func decodeGaussianNB(o *object, s shape, _ int) (Model, error) {
	m := &GaussianNB{d: s.features, k: s.classes, smoothing: 1e-9}
	var err error
	if m.prior, err = o.vector("class_prior", s.classes); err != nil {
		return nil, err
	}
	for i, p := range m.prior {
		if p <= 0 || p > 1 {
			return nil, fmt.Errorf("%s[%d]: prior %v, want (0,1]", o.key("class_prior"), i, p)
		}
	}
	if m.theta, _, err = o.matrix("theta", s.classes, s.features); err != nil {
		return nil, err
	}
	if m.vr, _, err = o.matrix("var", s.classes, s.features); err != nil {
		return nil, err
	}
	for i, v := range m.vr {
		if v <= 0 {
			return nil, fmt.Errorf("%s[%d][%d]: variance %v, want > 0", o.key("var"), i/s.features, i%s.features, v)
		}
	}
	m.precompute()
	return m, nil
}

func (m *GaussianNB) precompute() {
	m.invVar = make([]float64, len(m.vr))
	for i, v := range m.vr {
		m.invVar[i] = 1 / v
	}
	m.logNorm = make([]float64, m.k)
	for c := 0; c < m.k; c++ {
		s := 0.0
		for _, v := range m.vr[c*m.d : (c+1)*m.d] {
			s += math.Log(2 * math.Pi * v)
		}
		m.logNorm[c] = math.Log(m.prior[c]) + -0.5*s
	}
}

func (m *GaussianNB) NumFeatures() int { return m.d }
func (m *GaussianNB) NumClasses() int  { return m.k }
func (m *GaussianNB) HasProba() bool   { return true }

// jll writes the k joint log-likelihoods of the row x into out. Each term
// is multiplied by 1/var (within an ulp of sklearn's division, which would
// cost a divide per term, the bulk of the time), and the terms are summed
// in eight interleaved partial sums combined pairwise, as numpy's sum
// does for up to 128 values, so no add waits on the one before.
func (m *GaussianNB) jll(x, out []float64) {
	d := len(x)
	for c := 0; c < m.k; c++ {
		th, iv := m.theta[c*m.d:(c+1)*m.d], m.invVar[c*m.d:(c+1)*m.d]
		th, iv = th[:d], iv[:d]
		s := 0.0
		f := 0
		if d >= 8 {
			// Eight named sums stay in registers (an array would not).
			var r0, r1, r2, r3, r4, r5, r6, r7 float64
			for ; f+8 <= d; f += 8 {
				xs, ts, vs := (*[8]float64)(x[f:]), (*[8]float64)(th[f:]), (*[8]float64)(iv[f:])
				t0, t1, t2, t3 := xs[0]-ts[0], xs[1]-ts[1], xs[2]-ts[2], xs[3]-ts[3]
				r0 += t0 * t0 * vs[0]
				r1 += t1 * t1 * vs[1]
				r2 += t2 * t2 * vs[2]
				r3 += t3 * t3 * vs[3]
				t4, t5, t6, t7 := xs[4]-ts[4], xs[5]-ts[5], xs[6]-ts[6], xs[7]-ts[7]
				r4 += t4 * t4 * vs[4]
				r5 += t5 * t5 * vs[5]
				r6 += t6 * t6 * vs[6]
				r7 += t7 * t7 * vs[7]
			}
			s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
		}
		for ; f < d; f++ {
			t := x[f] - th[f]
			s += t * t * iv[f]
		}
		out[c] = m.logNorm[c] - 0.5*s
	}
}

// gnbBlock is how many rows Proba takes from log-likelihoods to
// probabilities at a time, so the block stays in cache in between.
const gnbBlock = 64

// Proba is exp(jll - logsumexp(jll)) per row, computed as softmax(jll)
// (within a few ulps), a block of rows at a time with vector exponentials.
func (m *GaussianNB) Proba(x []float64, n int, out []float64) {
	for lo := 0; lo < n; lo += gnbBlock {
		hi := min(lo+gnbBlock, n)
		for i := lo; i < hi; i++ {
			m.jll(x[i*m.d:(i+1)*m.d], out[i*m.k:(i+1)*m.k])
		}
		softmaxRows(out[lo*m.k:hi*m.k], m.k)
	}
}

// Predict is the argmax of the joint log-likelihood.
func (m *GaussianNB) Predict(x []float64, n int, out []int) {
	j := make([]float64, m.k)
	for i := 0; i < n; i++ {
		m.jll(x[i*m.d:(i+1)*m.d], j)
		out[i] = argmax(j)
	}
}

func (m *GaussianNB) GradKind() GradKind { return GradSoftmax }

// Grad: val = jll, d jll_k / dx_f = -(x_f - theta_kf) / var_kf.
func (m *GaussianNB) Grad(x, val, jac []float64) {
	m.jll(x, val)
	for c := 0; c < m.k; c++ {
		for f, a := range x {
			jac[c*m.d+f] = -(a - m.theta[c*m.d+f]) / m.vr[c*m.d+f]
		}
	}
}

func (m *GaussianNB) export() map[string]any {
	return map[string]any{"type": "GaussianNB", "class_prior": m.prior,
		"theta": rows2(m.theta, m.d), "var": rows2(m.vr, m.d)}
}
