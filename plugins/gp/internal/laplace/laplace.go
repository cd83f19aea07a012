// Package laplace is binary GP classification with the logistic likelihood
// under the Laplace approximation, step for step what scikit-learn's
// _BinaryGaussianProcessClassifierLaplace does (Rasmussen and Williams,
// Algorithms 3.1 and 5.1): Newton iterations for the posterior mode started
// at f = 0, stopped when the approximate log marginal likelihood rises by
// less than 1e-10, and the analytic gradient of that likelihood with respect
// to the log hyperparameters, including the implicit term through the mode.
package laplace

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/dense"
	"github.com/arthost/arthost/plugins/gp/internal/kernel"
	"github.com/arthost/arthost/plugins/gp/internal/latent"
)

// MaxIter is scikit-learn's default max_iter_predict: the Newton step cap.
const MaxIter = 100

// convergenceTol is scikit-learn's stopping rule on the rise of the log
// marginal likelihood between Newton steps.
const convergenceTol = 1e-10

// Mode is the result of the Newton iterations. As in scikit-learn, LML is
// the value accepted before the last step, and Pi, Wsr, L and A come from
// that last step.
type Mode struct {
	LML float64
	Pi  []float64         // sigmoid(f) for the training points
	Wsr []float64         // sqrt(pi (1 - pi))
	L   blas64.Triangular // Cholesky factor of I + Wsr K Wsr
	A   []float64         // a = K^-1 f at the mode
}

// Expit is the logistic sigmoid 1/(1+exp(-f)), computed without overflow.
func Expit(f float64) float64 {
	if f >= 0 {
		return 1 / (1 + math.Exp(-f))
	}
	e := math.Exp(f)
	return e / (1 + e)
}

// softplus is log(1 + exp(t)) without overflow.
func softplus(t float64) float64 {
	if t > 0 {
		return t + math.Log1p(math.Exp(-t))
	}
	return math.Log1p(math.Exp(t))
}

// FindMode runs the Newton iterations for labels y in {0, 1}. It fails when
// the factorisation fails (non-finite K).
func FindMode(k *mat.SymDense, y []float64) (Mode, error) {
	n := len(y)
	f := make([]float64, n)
	prev := math.Inf(-1)
	var m Mode
	work := make([]float64, n*n) // B and its factor, reused by every step
	for it := 0; it < MaxIter; it++ {
		pi := make([]float64, n)
		wsr := make([]float64, n)
		b := make([]float64, n)
		for i, fi := range f {
			pi[i] = Expit(fi)
			w := pi[i] * (1 - pi[i])
			wsr[i] = math.Sqrt(w)
			b[i] = w*fi + (y[i] - pi[i])
		}
		l, err := latent.FactorBInto(work, k, wsr)
		if err != nil {
			return Mode{}, fmt.Errorf("laplace newton step %d: %w", it, err)
		}
		kb := latent.SymMulVec(k, b)
		for i := range kb {
			kb[i] *= wsr[i]
		}
		latent.SolveL(l, kb)
		latent.SolveLT(l, kb)
		a := make([]float64, n)
		for i := range a {
			a[i] = b[i] - wsr[i]*kb[i]
		}
		f = latent.SymMulVec(k, a)
		lml := -latent.LogDet(l)
		for i := range f {
			lml += -0.5*a[i]*f[i] - softplus(-(2*y[i]-1)*f[i])
		}
		m = Mode{LML: prev, Pi: pi, Wsr: wsr, L: l, A: a}
		if math.IsNaN(lml) {
			return Mode{}, fmt.Errorf("laplace newton step %d: log marginal likelihood is NaN", it)
		}
		if lml-prev < convergenceTol {
			break
		}
		prev = lml
		m.LML = lml
	}
	return m, nil
}

// Posterior returns the predictive form of the mode.
func (m Mode) Posterior(kern kernel.Kernel, x *mat.Dense, y []float64) *latent.Posterior {
	alpha := make([]float64, len(y))
	for i := range alpha {
		alpha[i] = y[i] - m.Pi[i]
	}
	return &latent.Posterior{Kernel: kern, X: x, Alpha: alpha, S: m.Wsr, L: m.L}
}

// LMLGrad returns d LML / d theta at the mode (Algorithm 5.1):
//
//	s1_j = a' dK_j a / 2 - tr(R dK_j) / 2,   R = W^1/2 B^-1 W^1/2
//	s2   = -diag(K - C'C) pi (1-pi) (1-2pi) / 2,  C = L \ (W^1/2 K)
//	s3_j = dK_j (y-pi) - K R dK_j (y-pi)
//	grad_j = s1_j + s2' s3_j
func LMLGrad(kern kernel.Kernel, x *mat.Dense, k *mat.SymDense, y []float64, m Mode) []float64 {
	n := len(y)
	r, lis := latent.BInvScaledFactor(m.L, m.Wsr)
	// C = L \ (W^1/2 K) = (L \ W^1/2) K, as a matrix product; MulSub
	// gives -C, and only the squares of its entries are used.
	c := blas64.General{Rows: n, Cols: n, Stride: n, Data: make([]float64, n*n)}
	kr := k.RawSymmetric()
	dense.MulSub(c, lis, false, blas64.General{Rows: n, Cols: n, Stride: kr.Stride, Data: kr.Data}, false)
	s2 := make([]float64, n)
	for j := 0; j < n; j++ {
		s2[j] = kr.Data[j*kr.Stride+j]
	}
	for i := 0; i < n; i++ {
		row := c.Data[i*n : i*n+n]
		for j, v := range row {
			s2[j] -= v * v
		}
	}
	beta := make([]float64, n)
	for i := range s2 {
		p := m.Pi[i]
		s2[i] *= -0.5 * p * (1 - p) * (1 - 2*p)
		beta[i] = y[i] - p
	}
	// A = (a a' - R) / 2
	ad := mat.NewSymDense(n, nil)
	araw, rraw := ad.RawSymmetric(), r.RawSymmetric()
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			araw.Data[i*araw.Stride+j] = 0.5 * (m.A[i]*m.A[j] - rraw.Data[i*rraw.Stride+j])
		}
	}
	t, u := kern.GradContract(x, ad, beta)
	grad := make([]float64, len(t))
	for j := range t {
		ru := latent.SymMulVec(r, u[j])
		kru := latent.SymMulVec(k, ru)
		g := t[j]
		for i := range s2 {
			g += s2[i] * (u[j][i] - kru[i])
		}
		grad[j] = g
	}
	return grad
}

// Restore rebuilds the factor of a saved mode from its pi (LML is left 0).
func Restore(k *mat.SymDense, pi []float64) (Mode, error) {
	wsr := make([]float64, len(pi))
	for i, p := range pi {
		wsr[i] = math.Sqrt(p * (1 - p))
	}
	l, err := latent.FactorB(k, wsr)
	if err != nil {
		return Mode{}, fmt.Errorf("laplace restore: %w", err)
	}
	return Mode{Pi: pi, Wsr: wsr, L: l}, nil
}
