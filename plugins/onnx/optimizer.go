package main

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// optimizer updates weights in place from their gradients.
type optimizer interface {
	update(weights []*nd.Array, params []int, grads []*nd.Array)
}

func newOptimizer(c fitConfig, sizes []int) optimizer {
	state := func() [][]float64 {
		s := make([][]float64, len(sizes))
		for i, n := range sizes {
			s[i] = make([]float64, n)
		}
		return s
	}
	if c.optimizer == "sgd" {
		return &sgd{cfg: c, velocity: state()}
	}
	return &adam{cfg: c, m: state(), v: state()}
}

// sgd is SGD with momentum as PyTorch defines it: v = mu v + g,
// w -= lr v (g includes weight_decay * w).
type sgd struct {
	cfg      fitConfig
	velocity [][]float64
}

func (o *sgd) update(weights []*nd.Array, params []int, grads []*nd.Array) {
	for i, s := range params {
		w, g, v := weights[s].F, grads[i].F, o.velocity[i]
		for j := range w {
			gj := float64(g[j]) + o.cfg.decay*float64(w[j])
			v[j] = o.cfg.momentum*v[j] + gj
			w[j] = float32(float64(w[j]) - o.cfg.lr*v[j])
		}
	}
}

// adam is Adam (Kingma and Ba) with bias correction.
type adam struct {
	cfg  fitConfig
	m, v [][]float64
	t    int
}

func (o *adam) update(weights []*nd.Array, params []int, grads []*nd.Array) {
	o.t++
	c1 := 1 - math.Pow(o.cfg.beta1, float64(o.t))
	c2 := 1 - math.Pow(o.cfg.beta2, float64(o.t))
	for i, s := range params {
		w, g, m, v := weights[s].F, grads[i].F, o.m[i], o.v[i]
		for j := range w {
			gj := float64(g[j]) + o.cfg.decay*float64(w[j])
			m[j] = o.cfg.beta1*m[j] + (1-o.cfg.beta1)*gj
			v[j] = o.cfg.beta2*v[j] + (1-o.cfg.beta2)*gj*gj
			w[j] = float32(float64(w[j]) - o.cfg.lr*(m[j]/c1)/(math.Sqrt(v[j]/c2)+o.cfg.eps))
		}
	}
}
