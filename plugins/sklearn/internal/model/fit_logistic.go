package model

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// LogisticFit are LogisticRegression's training settings (lbfgs solver,
// l2 penalty); zero values mean sklearn's defaults.
type LogisticFit struct {
	C              float64 // inverse regularisation strength; default 1
	MaxIter        int     // default 100, as sklearn
	Tol            float64 // gradient tolerance; default 1e-4, as sklearn
	NoIntercept    bool
	Multinomial    *bool // default: the loaded model's multi_class
	MaxEvaluations int   // default 20 * MaxIter
}

// ErrNotConverged is returned (wrapped) when the solver stopped at its
// iteration limit; the parameters are still updated, as sklearn does.
var ErrNotConverged = errors.New("lbfgs did not converge")

// Fit refits the model on rows x (n x d) with class indices y in [0,k).
// It minimises, as sklearn's lbfgs solver,
//
//	1/(2C) ||W||^2 + sum_i loss_i
//
// with the multinomial cross-entropy (softmax over k rows; for k = 2 sklearn
// keeps row 1 of a symmetric solution) or, for ovr, one binary logistic
// loss per class (one problem for k = 2). Intercepts are not penalised.
func (m *Logistic) Fit(ctx context.Context, x []float64, y []int, n int, cfg LogisticFit) error {
	if cfg.C == 0 {
		cfg.C = 1
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = 100
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-4
	}
	if cfg.C < 0 || cfg.MaxIter < 0 || cfg.Tol < 0 {
		return fmt.Errorf("fit LogisticRegression: C, max_iter and tol must be positive")
	}
	if err := checkLabels(y, m.k); err != nil {
		return fmt.Errorf("fit LogisticRegression: %w", err)
	}
	multi := m.Multinomial
	if cfg.Multinomial != nil {
		multi = *cfg.Multinomial
	}
	var err error
	var coef, icpt []float64
	if multi {
		w, e := solve(ctx, m.k*(m.d+1), cfg, func(w, g []float64) float64 {
			return multinomialLoss(w, g, x, y, n, m.d, m.k, cfg)
		})
		err = e
		coef, icpt = make([]float64, m.k*m.d), make([]float64, m.k)
		for c := 0; c < m.k; c++ {
			copy(coef[c*m.d:], w[c*(m.d+1):c*(m.d+1)+m.d])
			icpt[c] = w[c*(m.d+1)+m.d]
		}
		if m.k == 2 {
			coef, icpt = coef[m.d:], icpt[1:]
		}
	} else {
		r := m.k
		if r == 2 {
			r = 1
		}
		coef, icpt = make([]float64, r*m.d), make([]float64, r)
		for c := 0; c < r; c++ {
			pos := c
			if r == 1 {
				pos = 1
			}
			w, e := solve(ctx, m.d+1, cfg, func(w, g []float64) float64 {
				return binaryLoss(w, g, x, y, n, m.d, pos, cfg)
			})
			if e != nil && err == nil {
				err = e
			}
			copy(coef[c*m.d:], w[:m.d])
			icpt[c] = w[m.d]
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	m.setCoef(coef, icpt)
	m.Multinomial = multi
	return err
}

func checkLabels(y []int, k int) error {
	count := make([]int, k)
	for i, c := range y {
		if c < 0 || c >= k {
			return fmt.Errorf("label %d of row %d out of range [0,%d)", c, i, k)
		}
		count[c]++
	}
	for c, n := range count {
		if n == 0 {
			return fmt.Errorf("class %d has no training rows (refit in Python to drop a class)", c)
		}
	}
	return nil
}

// solve minimises f from zero with L-BFGS (gonum/optimize), stopping when
// the gradient's largest component is below cfg.Tol, as scipy's gtol. The
// objective stops the solver early when ctx is cancelled.
func solve(ctx context.Context, dim int, cfg LogisticFit, f func(w, g []float64) float64) ([]float64, error) {
	p := optimize.Problem{
		Func: func(w []float64) float64 {
			if ctx.Err() != nil {
				return math.NaN()
			}
			return f(w, nil)
		},
		Grad: func(g, w []float64) { f(w, g) },
	}
	evals := cfg.MaxEvaluations
	if evals == 0 {
		evals = 20 * cfg.MaxIter
	}
	settings := &optimize.Settings{
		GradientThreshold: cfg.Tol,
		MajorIterations:   cfg.MaxIter,
		FuncEvaluations:   evals,
		// No function-value convergence: only the gradient decides.
		Converger: &optimize.FunctionConverge{},
	}
	res, err := optimize.Minimize(p, make([]float64, dim), settings, &optimize.LBFGS{Store: 10})
	if ctx.Err() != nil {
		return make([]float64, dim), ctx.Err()
	}
	if res == nil {
		return make([]float64, dim), fmt.Errorf("lbfgs: %v", err)
	}
	switch res.Status {
	case optimize.IterationLimit, optimize.FunctionEvaluationLimit:
		return res.X, fmt.Errorf("%w after %d iterations (raise max_iter)", ErrNotConverged, res.Stats.MajorIterations)
	}
	// GradientThreshold, or a line search that cannot improve further at
	// the optimum (common at tight tolerances): keep the point reached.
	return res.X, nil
}

// multinomialLoss is 1/(2C)||W||^2 + sum_i [logsumexp(z_i) - z_i,y_i] with
// w laid out as k rows of (d weights, intercept); g gets the gradient.
func multinomialLoss(w, g, x []float64, y []int, n, d, k int, cfg LogisticFit) float64 {
	loss := 0.0
	if g != nil {
		clear(g)
	}
	z := make([]float64, k)
	for i := 0; i < n; i++ {
		row := x[i*d : (i+1)*d]
		for c := 0; c < k; c++ {
			wc := w[c*(d+1):]
			s := 0.0
			if !cfg.NoIntercept {
				s = wc[d]
			}
			for f, v := range row {
				s += v * wc[f]
			}
			z[c] = s
		}
		lse := logSumExp(z)
		loss += lse - z[y[i]]
		if g == nil {
			continue
		}
		for c := 0; c < k; c++ {
			r := math.Exp(z[c] - lse)
			if c == y[i] {
				r--
			}
			gc := g[c*(d+1):]
			axpy(gc[:d], r, row)
			if !cfg.NoIntercept {
				gc[d] += r
			}
		}
	}
	for c := 0; c < k; c++ {
		for f := 0; f < d; f++ {
			v := w[c*(d+1)+f]
			loss += v * v / (2 * cfg.C)
			if g != nil {
				g[c*(d+1)+f] += v / cfg.C
			}
		}
	}
	return loss
}

// binaryLoss is 1/(2C)||w||^2 + sum_i log(1 + exp(-t_i z_i)) with t_i = +1
// for class pos and -1 otherwise; w is (d weights, intercept).
func binaryLoss(w, g, x []float64, y []int, n, d, pos int, cfg LogisticFit) float64 {
	loss := 0.0
	if g != nil {
		clear(g)
	}
	for i := 0; i < n; i++ {
		row := x[i*d : (i+1)*d]
		z := 0.0
		if !cfg.NoIntercept {
			z = w[d]
		}
		for f, v := range row {
			z += v * w[f]
		}
		t := -1.0
		if y[i] == pos {
			t = 1
		}
		loss -= logExpit(t * z)
		if g != nil {
			r := -t * expit(-t*z)
			axpy(g[:d], r, row)
			if !cfg.NoIntercept {
				g[d] += r
			}
		}
	}
	for f := 0; f < d; f++ {
		loss += w[f] * w[f] / (2 * cfg.C)
		if g != nil {
			g[f] += w[f] / cfg.C
		}
	}
	return loss
}

// Params returns the coefficients (rows x d, row-major) and intercepts.
func (m *Logistic) Params() (coef, intercept []float64) { return m.coef, m.intercept }
