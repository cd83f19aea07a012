// Package testmodel is the known model behind the black-box plugin's tests
// and benchmarks: a fixed softmax regression, its exact gradients, and an
// HTTP server that serves it over the Open Inference Protocol v2 and the
// TensorFlow Serving REST API with injectable faults (failing first
// attempts, stalls, malformed bodies). Only tests import it.
package testmodel

import (
	"math"
	"math/rand/v2"
)

// Softmax is p = softmax(W x + b) with W of shape (K, D).
type Softmax struct {
	W [][]float64
	B []float64
}

// Fixed is the 3-class, 4-feature model the tests use.
func Fixed() Softmax {
	return Softmax{
		W: [][]float64{
			{1.5, -0.5, 0.25, 0.8},
			{-1.0, 1.2, -0.7, 0.1},
			{0.3, 0.4, 1.1, -1.3},
		},
		B: []float64{0.1, -0.2, 0.05},
	}
}

// Random draws a K-class, D-feature model with N(0, 1/D) weights.
func Random(k, d int, seed uint64) Softmax {
	r := rand.New(rand.NewPCG(seed, 1))
	m := Softmax{W: make([][]float64, k), B: make([]float64, k)}
	for c := range m.W {
		m.W[c] = make([]float64, d)
		for j := range m.W[c] {
			m.W[c][j] = r.NormFloat64() / math.Sqrt(float64(d))
		}
		m.B[c] = 0.1 * r.NormFloat64()
	}
	return m
}

// K is the number of classes, D the number of features.
func (m Softmax) K() int { return len(m.W) }

// D is the number of input features.
func (m Softmax) D() int { return len(m.W[0]) }

// Logits returns W x + b.
func (m Softmax) Logits(x []float64) []float64 {
	z := make([]float64, m.K())
	for c := range z {
		z[c] = m.B[c]
		for j, v := range x {
			z[c] += m.W[c][j] * v
		}
	}
	return z
}

// Probs returns softmax(W x + b), computed stably.
func (m Softmax) Probs(x []float64) []float64 {
	z := m.Logits(x)
	mx := z[0]
	for _, v := range z {
		mx = math.Max(mx, v)
	}
	s := 0.0
	for c := range z {
		z[c] = math.Exp(z[c] - mx)
		s += z[c]
	}
	for c := range z {
		z[c] /= s
	}
	return z
}

// Label returns the most probable class.
func (m Softmax) Label(x []float64) int {
	z := m.Logits(x)
	best := 0
	for c := range z {
		if z[c] > z[best] {
			best = c
		}
	}
	return best
}

// ProbGrad returns d p_c / d x = p_c (W_c - sum_k p_k W_k).
func (m Softmax) ProbGrad(x []float64, c int) []float64 {
	p := m.Probs(x)
	g := make([]float64, m.D())
	for j := range g {
		mean := 0.0
		for k := range p {
			mean += p[k] * m.W[k][j]
		}
		g[j] = p[c] * (m.W[c][j] - mean)
	}
	return g
}

// LossGrad returns the gradient of the cross-entropy -log p_y in x:
// W^T (p - onehot(y)).
func (m Softmax) LossGrad(x []float64, y int) []float64 {
	p := m.Probs(x)
	p[y]--
	g := make([]float64, m.D())
	for j := range g {
		for c := range p {
			g[j] += m.W[c][j] * p[c]
		}
	}
	return g
}
