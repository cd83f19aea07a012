// Package gpc is Gaussian-process classification as the gp plugin exposes
// it: binary classifiers with Laplace (logistic) or EP (probit) inference,
// their hyperparameters fixed or chosen by maximising the log marginal
// likelihood, combined one-vs-rest for more than two classes and normalised
// as scikit-learn does; predictive probabilities, latent means and
// variances, analytic input gradients, and the JSON model file.
package gpc

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/ep"
	"github.com/arthost/arthost/plugins/gp/internal/kernel"
	"github.com/arthost/arthost/plugins/gp/internal/laplace"
	"github.com/arthost/arthost/plugins/gp/internal/latent"
	"github.com/arthost/arthost/plugins/gp/internal/link"
)

// Inference names the approximation and its likelihood.
type Inference string

// The inference methods.
const (
	Laplace Inference = "laplace" // logistic likelihood, as scikit-learn
	EP      Inference = "ep"      // probit likelihood, as GPy
)

// Binary is one two-class GP: the positive class has Target 1.
type Binary struct {
	Kernel kernel.Kernel
	Target []float64 // 1 for the positive class, 0 otherwise
	LML    float64
	Pi     []float64 // Laplace: sigmoid of the latent mode
	Tau    []float64 // EP: site precisions
	Nu     []float64 // EP: site precision-means

	post *latent.Posterior
}

// signs maps 0/1 targets to -1/+1.
func signs(t []float64) []float64 {
	s := make([]float64, len(t))
	for i, v := range t {
		s[i] = 2*v - 1
	}
	return s
}

// fitBinary runs inference at fixed hyperparameters and, when grad is true,
// returns the gradient of the log marginal likelihood too.
func fitBinary(inf Inference, kern kernel.Kernel, x *mat.Dense, target []float64, grad bool) (*Binary, []float64, error) {
	k := kern.Gram(x)
	b := &Binary{Kernel: kern, Target: target}
	var g []float64
	switch inf {
	case Laplace:
		m, err := laplace.FindMode(k, target)
		if err != nil {
			return nil, nil, err
		}
		b.LML, b.Pi, b.post = m.LML, m.Pi, m.Posterior(kern, x, target)
		if grad {
			g = laplace.LMLGrad(kern, x, k, target, m)
		}
	case EP:
		s, err := ep.Run(k, signs(target))
		if err != nil {
			return nil, nil, err
		}
		b.LML, b.Tau, b.Nu, b.post = s.LML, s.Tau, s.Nu, s.Posterior(kern, x)
		if grad {
			g = ep.LMLGrad(kern, x, s)
		}
	default:
		return nil, nil, fmt.Errorf("unknown inference %q", inf)
	}
	if math.IsNaN(b.LML) || math.IsInf(b.LML, 0) {
		return nil, nil, fmt.Errorf("%s inference: log marginal likelihood is %v", inf, b.LML)
	}
	return b, g, nil
}

// restore rebuilds the posterior of a loaded binary classifier.
func (b *Binary) restore(inf Inference, x *mat.Dense) error {
	k := b.Kernel.Gram(x)
	switch inf {
	case Laplace:
		m, err := laplace.Restore(k, b.Pi)
		if err != nil {
			return err
		}
		b.post = m.Posterior(b.Kernel, x, b.Target)
	case EP:
		s, err := ep.Restore(k, b.Tau, b.Nu)
		if err != nil {
			return err
		}
		b.post = s.Posterior(b.Kernel, x)
	default:
		return fmt.Errorf("unknown inference %q", inf)
	}
	return nil
}

// linkFor returns the link of an inference.
func linkFor(inf Inference) func(m, v float64) (p, dm, dv float64) {
	if inf == EP {
		return link.Probit
	}
	return link.Logistic
}
