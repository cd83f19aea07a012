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

func (m *GaussianNB) jll(x, out []float64) {
	for c := 0; c < m.k; c++ {
		th, v := m.theta[c*m.d:(c+1)*m.d], m.vr[c*m.d:(c+1)*m.d]
		s := 0.0
		for f, a := range x {
			t := a - th[f]
			s += t * t / v[f]
		}
		out[c] = m.logNorm[c] - 0.5*s
	}
}

func (m *GaussianNB) Proba(x []float64, n int, out []float64) {
	for i := 0; i < n; i++ {
		row := out[i*m.k : (i+1)*m.k]
		m.jll(x[i*m.d:(i+1)*m.d], row)
		lse := logSumExp(row)
		for j, v := range row {
			row[j] = math.Exp(v - lse)
		}
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
