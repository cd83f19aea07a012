package gpc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"github.com/arthost/arthost/plugins/gp/internal/kernel"
)

// Hyperparameter search box in log space: scikit-learn's default bounds
// (1e-5, 1e5) for every hyperparameter. L-BFGS runs unconstrained on
// -LML plus a quadratic penalty outside the box, so the reported LML is
// never a penalised value.
var (
	logLo = math.Log(1e-5)
	logHi = math.Log(1e5)
)

// Restart starting points are drawn uniformly in log space in
// [log 1e-3, log 1e3]: wide enough to escape a poor local optimum, narrow
// enough that the kernel matrix is neither the identity nor all ones.
var (
	restartLo = math.Log(1e-3)
	restartHi = math.Log(1e3)
)

func penalty(theta, grad []float64) float64 {
	p := 0.0
	for i, t := range theta {
		switch {
		case t > logHi:
			p += 0.5 * (t - logHi) * (t - logHi)
			if grad != nil {
				grad[i] += t - logHi
			}
		case t < logLo:
			p += 0.5 * (logLo - t) * (logLo - t)
			if grad != nil {
				grad[i] -= logLo - t
			}
		}
	}
	return p
}

// search keeps the evaluations of one optimisation run.
type search struct {
	ctx    context.Context
	inf    Inference
	kern   kernel.Kernel
	x      *mat.Dense
	target []float64

	lastTheta []float64
	lastF     float64
	lastG     []float64
	best      *Binary
	err       error
}

func (s *search) eval(theta []float64) {
	if slices.Equal(theta, s.lastTheta) {
		return
	}
	s.lastTheta = append(s.lastTheta[:0], theta...)
	s.lastG = make([]float64, len(theta))
	if err := s.ctx.Err(); err != nil {
		s.err, s.lastF = err, math.NaN()
		return
	}
	b, g, err := fitBinary(s.inf, s.kern.WithTheta(theta), s.x, s.target, true)
	if err != nil {
		s.lastF = math.Inf(1) // line searches back off from an infeasible step
		return
	}
	if s.best == nil || b.LML > s.best.LML {
		s.best = b
	}
	for i := range g {
		s.lastG[i] = -g[i]
	}
	s.lastF = -b.LML + penalty(theta, s.lastG)
}

// run minimises -LML from theta0; the best feasible point seen is kept
// even when the optimiser stops on an error.
func (s *search) run(theta0 []float64) error {
	p := optimize.Problem{
		Func: func(theta []float64) float64 { s.eval(theta); return s.lastF },
		Grad: func(g, theta []float64) { s.eval(theta); copy(g, s.lastG) },
		Status: func() (optimize.Status, error) {
			if s.err != nil {
				return optimize.Failure, s.err
			}
			return optimize.NotTerminated, nil
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-7,
		MajorIterations:   500,
		FuncEvaluations:   5000,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-11, Relative: 1e-12, Iterations: 20},
	}
	_, err := optimize.Minimize(p, theta0, settings, &optimize.LBFGS{})
	if s.err != nil {
		return s.err
	}
	if s.best == nil {
		if err == nil {
			err = errors.New("no feasible point")
		}
		return fmt.Errorf("optimise hyperparameters: %w", err)
	}
	return nil
}

// optimiseBinary maximises the log marginal likelihood from the kernel's
// own hyperparameters and from restarts more random points, returning the
// best classifier found.
func optimiseBinary(ctx context.Context, inf Inference, kern kernel.Kernel, x *mat.Dense, target []float64, restarts int, rng *rand.Rand) (*Binary, error) {
	var best *Binary
	for r := 0; r <= restarts; r++ {
		theta := kern.Theta()
		if r > 0 {
			for i := range theta {
				theta[i] = restartLo + (restartHi-restartLo)*rng.Float64()
			}
		}
		s := &search{ctx: ctx, inf: inf, kern: kern, x: x, target: target}
		if err := s.run(theta); err != nil {
			if ctx.Err() != nil || r == 0 {
				return nil, err
			}
			continue // a failed restart does not undo the first run
		}
		if best == nil || s.best.LML > best.LML {
			best = s.best
		}
	}
	return best, nil
}
