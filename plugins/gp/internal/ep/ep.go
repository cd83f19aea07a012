// Package ep is binary GP classification with the probit likelihood under
// expectation propagation (Rasmussen and Williams, Algorithm 3.5): sequential
// site updates with rank-one posterior updates, the posterior recomputed
// from a fresh Cholesky factor after every sweep, sweeps repeated until no
// site parameter moves by more than Tol. It also gives the EP log marginal
// likelihood (R&W eq. 3.65 in a form without 1/tau~) and its gradient with
// respect to the log hyperparameters (R&W eq. 5.27).
package ep

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/dense"
	"github.com/arthost/arthost/plugins/gp/internal/kernel"
	"github.com/arthost/arthost/plugins/gp/internal/latent"
	"github.com/arthost/arthost/plugins/gp/internal/link"
)

// Convergence: sweeps stop when the largest change of any site parameter
// over a sweep is at most Tol, or after MaxSweeps.
const (
	Tol       = 1e-10
	MaxSweeps = 200
)

// Sites is the converged EP approximation.
type Sites struct {
	Tau, Nu []float64         // site precisions tau~ and precision-means nu~
	L       blas64.Triangular // Cholesky factor of I + S K S, S = diag(sqrt(tau~))
	Alpha   []float64         // b = nu~ - S L' \ (L \ (S K nu~))
	LML     float64
	Sweeps  int
}

// Run runs EP for labels y in {-1, +1} on the kernel matrix k.
func Run(k *mat.SymDense, y []float64) (Sites, error) {
	n := len(y)
	tau := make([]float64, n)
	nu := make([]float64, n)
	sigma := mat.NewSymDense(n, nil)
	sigma.CopySym(k)
	sr := sigma.RawSymmetric()
	mu := make([]float64, n)
	col := make([]float64, n)
	for sweep := 1; sweep <= MaxSweeps; sweep++ {
		change := 0.0
		for i := 0; i < n; i++ {
			sii := sr.Data[i*sr.Stride+i]
			tauC := 1/sii - tau[i]
			nuC := mu[i]/sii - nu[i]
			muHat, s2Hat := tilted(y[i], nuC/tauC, 1/tauC)
			newTau := math.Max(1/s2Hat-tauC, 0)
			dtau := newTau - tau[i]
			newNu := muHat/s2Hat - nuC
			change = math.Max(change, math.Max(math.Abs(dtau), math.Abs(newNu-nu[i])))
			dnu := newNu - nu[i]
			tau[i], nu[i] = newTau, newNu
			// Sigma -= c s s' with s = Sigma[:, i] (upper triangle only), and
			// mu = Sigma nu updated in O(n):
			// mu += s (dnu (1 - c Sigma_ii) - c mu_i).
			c := dtau / (1 + dtau*sii)
			for j := 0; j < i; j++ {
				col[j] = sr.Data[j*sr.Stride+i]
			}
			copy(col[i:], sr.Data[i*sr.Stride+i:i*sr.Stride+n])
			blas64.Syr(-c, blas64.Vector{N: n, Inc: 1, Data: col}, sr)
			step := dnu*(1-c*sii) - c*mu[i]
			for j, v := range col {
				mu[j] += step * v
			}
		}
		l, err := recompute(k, tau, nu, sigma, mu)
		if err != nil {
			return Sites{}, fmt.Errorf("ep sweep %d: %w", sweep, err)
		}
		if math.IsNaN(change) {
			return Sites{}, fmt.Errorf("ep sweep %d: site parameters became NaN", sweep)
		}
		if change <= Tol || sweep == MaxSweeps {
			s := Sites{Tau: tau, Nu: nu, L: l, Sweeps: sweep}
			s.Alpha = weights(k, l, tau, nu)
			s.LML = logZ(l, y, tau, nu, sigma, mu)
			return s, nil
		}
	}
	panic("unreachable")
}

// tilted returns the mean and variance of the tilted distribution
// Phi(y f) N(f | m, v) (R&W eq. 3.58).
func tilted(y, m, v float64) (mean, variance float64) {
	sq := math.Sqrt(1 + v)
	z := y * m / sq
	r := link.NormRatio(z)
	mean = m + y*v*r/sq
	variance = v - v*v*r*(z+r)/(1+v)
	return mean, variance
}

// fillLower copies the upper triangle of a symmetric matrix to the lower.
func fillLower(s blas64.Symmetric) {
	for i := 0; i < s.N; i++ {
		for j := i + 1; j < s.N; j++ {
			s.Data[j*s.Stride+i] = s.Data[i*s.Stride+j]
		}
	}
}

// sqrts returns sqrt(tau).
func sqrts(tau []float64) []float64 {
	s := make([]float64, len(tau))
	for i, t := range tau {
		s[i] = math.Sqrt(t)
	}
	return s
}

// recompute sets Sigma = K - V'V with V = L \ (S K), and mu = Sigma nu.
func recompute(k *mat.SymDense, tau, nu []float64, sigma *mat.SymDense, mu []float64) (blas64.Triangular, error) {
	n := len(tau)
	s := sqrts(tau)
	l, err := latent.FactorB(k, s)
	if err != nil {
		return l, err
	}
	kr := k.RawSymmetric()
	v := blas64.General{Rows: n, Cols: n, Stride: n, Data: make([]float64, n*n)}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			v.Data[i*n+j] = s[i] * kr.Data[i*kr.Stride+j]
		}
	}
	dense.SolveLower(l, v)
	sr := sigma.RawSymmetric()
	for i := 0; i < n; i++ {
		copy(sr.Data[i*sr.Stride:i*sr.Stride+n], kr.Data[i*kr.Stride:i*kr.Stride+n])
	}
	dense.MulSub(blas64.General{Rows: n, Cols: n, Stride: sr.Stride, Data: sr.Data}, v, true, v, false)
	fillLower(sr)
	blas64.Symv(1, sr, blas64.Vector{N: n, Inc: 1, Data: nu}, 0, blas64.Vector{N: n, Inc: 1, Data: mu})
	return l, nil
}

// weights returns b = nu - S L' \ (L \ (S K nu)).
func weights(k *mat.SymDense, l blas64.Triangular, tau, nu []float64) []float64 {
	s := sqrts(tau)
	z := latent.SymMulVec(k, nu)
	for i := range z {
		z[i] *= s[i]
	}
	latent.SolveL(l, z)
	latent.SolveLT(l, z)
	b := make([]float64, len(nu))
	for i := range b {
		b[i] = nu[i] - s[i]*z[i]
	}
	return b
}

// logZ is the EP log marginal likelihood (R&W eq. 3.65) written so that
// no 1/tau~ appears, with cavities taken from the final posterior:
//
//	log Z = -sum log L_ii + sum log(1 + tau~_i/tau_i) / 2 + nu~' Sigma nu~ / 2
//	      + sum (nu_i^2 tau~_i - 2 nu_i nu~_i tau_i - nu~_i^2 tau_i) / (2 tau_i (tau_i + tau~_i))
//	      + sum log Phi(y_i (nu_i/tau_i) / sqrt(1 + 1/tau_i))
func logZ(l blas64.Triangular, y, tau, nu []float64, sigma *mat.SymDense, mu []float64) float64 {
	sr := sigma.RawSymmetric()
	z := -latent.LogDet(l)
	for i := range tau {
		sii := sr.Data[i*sr.Stride+i]
		tc := 1/sii - tau[i]
		nc := mu[i]/sii - nu[i]
		z += 0.5 * math.Log1p(tau[i]/tc)
		z += 0.5 * nu[i] * mu[i]
		z += 0.5 * (nc*nc*tau[i] - 2*nc*nu[i]*tc - nu[i]*nu[i]*tc) / (tc * (tc + tau[i]))
		z += link.LogPhi(y[i] * (nc / tc) / math.Sqrt(1+1/tc))
	}
	return z
}

// Posterior returns the predictive form of the sites.
func (s Sites) Posterior(kern kernel.Kernel, x *mat.Dense) *latent.Posterior {
	return &latent.Posterior{Kernel: kern, X: x, Alpha: s.Alpha, S: sqrts(s.Tau), L: s.L}
}

// LMLGrad returns d log Z_EP / d theta at the EP fixed point (R&W eq. 5.27):
//
//	grad_j = tr((b b' - R) dK_j) / 2,  R = S B^-1 S
func LMLGrad(kern kernel.Kernel, x *mat.Dense, s Sites) []float64 {
	n := len(s.Tau)
	r := latent.BInvScaled(s.L, sqrts(s.Tau))
	rr := r.RawSymmetric()
	a := mat.NewSymDense(n, nil)
	ar := a.RawSymmetric()
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			ar.Data[i*ar.Stride+j] = 0.5 * (s.Alpha[i]*s.Alpha[j] - rr.Data[i*rr.Stride+j])
		}
	}
	t, _ := kern.GradContract(x, a, nil)
	return t
}

// Restore rebuilds the factor and weights of saved sites (LML is left 0).
func Restore(k *mat.SymDense, tau, nu []float64) (Sites, error) {
	l, err := latent.FactorB(k, sqrts(tau))
	if err != nil {
		return Sites{}, fmt.Errorf("ep restore: %w", err)
	}
	return Sites{Tau: tau, Nu: nu, L: l, Alpha: weights(k, l, tau, nu)}, nil
}
