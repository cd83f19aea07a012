package model

import "math"

// This file turns a model's Grad into the quantities the plugin serves.
// For one row x with soft label y (summing to S, normally 1):
//
//	GradSoftmax, GradLogits (val = z):
//	  loss = S logsumexp(z) - sum_k y_k z_k       (cross-entropy of softmax(z))
//	  dloss/dx = sum_j (softmax(z)_j S - y_j) dz_j/dx
//	GradLogProba (val = log p):
//	  loss = -sum_k y_k log p_k,  dloss/dx = -sum_k y_k dlog p_k/dx
//
// and the class gradient is d p_k/dx (softmax: p_k (dz_k - sum_j p_j dz_j);
// log-proba: p_k dlog p_k) or, for GradLogits, dz_k/dx.

// Scratch holds the per-row buffers of the gradient helpers; one per
// goroutine.
type Scratch struct {
	val, jac []float64
}

func (s *Scratch) grow(m Model) {
	k, d := m.NumClasses(), m.NumFeatures()
	if len(s.val) != k || len(s.jac) != k*d {
		s.val, s.jac = make([]float64, k), make([]float64, k*d)
	}
}

// ClassJacobian writes the Jacobian of the class-gradient output for one
// row into out (k*d). The model must have GradKind != GradNone.
func ClassJacobian(m Model, x []float64, s *Scratch, out []float64) {
	s.grow(m)
	m.Grad(x, s.val, s.jac)
	k, d := m.NumClasses(), m.NumFeatures()
	switch m.GradKind() {
	case GradLogits:
		copy(out, s.jac)
	case GradLogProba:
		for c := 0; c < k; c++ {
			p := math.Exp(s.val[c])
			for f := 0; f < d; f++ {
				out[c*d+f] = p * s.jac[c*d+f]
			}
		}
	case GradSoftmax:
		p := append([]float64(nil), s.val...)
		softmaxInPlace(p)
		mean := make([]float64, d)
		for c := 0; c < k; c++ {
			axpy(mean, p[c], s.jac[c*d:(c+1)*d])
		}
		for c := 0; c < k; c++ {
			for f := 0; f < d; f++ {
				out[c*d+f] = p[c] * (s.jac[c*d+f] - mean[f])
			}
		}
	default:
		panic("model: class gradient of a model without gradients")
	}
}

// LossGrad returns the cross-entropy loss of one row against soft label y
// (k) and, when grad is not nil, writes d loss/dx into grad (d). The model
// must have GradKind != GradNone.
func LossGrad(m Model, x, y []float64, s *Scratch, grad []float64) float64 {
	s.grow(m)
	m.Grad(x, s.val, s.jac)
	d := m.NumFeatures()
	if grad != nil {
		clear(grad)
	}
	if m.GradKind() == GradLogProba {
		loss := 0.0
		for c, yc := range y {
			if yc == 0 {
				continue
			}
			loss -= yc * s.val[c]
			if grad != nil {
				axpy(grad, -yc, s.jac[c*d:(c+1)*d])
			}
		}
		return loss
	}
	sum := 0.0
	for _, v := range y {
		sum += v
	}
	lse := logSumExp(s.val)
	loss := sum * lse
	for c, yc := range y {
		if yc != 0 {
			loss -= yc * s.val[c]
		}
	}
	if grad != nil {
		for c, z := range s.val {
			w := math.Exp(z-lse)*sum - y[c]
			if w != 0 {
				axpy(grad, w, s.jac[c*d:(c+1)*d])
			}
		}
	}
	return loss
}

// ProbaLoss is the cross-entropy of predict_proba, clipped to
// [eps, 1-eps] with eps the float64 epsilon as sklearn's log_loss does, for
// models without gradients. p and y are one row each.
func ProbaLoss(p, y []float64) float64 {
	loss := 0.0
	for c, yc := range y {
		if yc != 0 {
			loss -= yc * math.Log(math.Min(math.Max(p[c], float64Eps), 1-float64Eps))
		}
	}
	return loss
}
