// Package latent is the Gaussian approximation of a binary GP classifier's
// latent function that both Laplace and EP inference produce, and what
// prediction needs from it: the predictive mean and variance of the latent
// f at a test point, and their derivatives with respect to the test point.
//
// Both inferences end with site precisions s_i^2 (W for Laplace, tau~ for
// EP), the Cholesky factor L of B = I + S^(1/2) K S^(1/2) and a weight
// vector alpha, giving (Rasmussen and Williams, Algorithms 3.2 and 3.6)
//
//	mean(x) = k(x)' alpha
//	var(x)  = k(x,x) - |L \ (S^(1/2) k(x))|^2
//
// Kernel matrices passed around the gp packages store both triangles (as
// kernel.Gram returns them), so rows can be read directly; FactorB and
// SymMulVec read only the upper triangle.
package latent

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/kernel"
)

// maxJitterTries bounds the jitter escalation of FactorB: 1e-10 up to 1e-4
// times the mean diagonal; past that the matrix is not a covariance.
const maxJitterTries = 7

// FactorB returns the lower Cholesky factor of B = I + diag(s) K diag(s).
// B's eigenvalues are at least 1 in exact arithmetic; if rounding still
// defeats the factorisation, growing jitter is added to the diagonal. It
// fails when K or s hold non-finite values or no jitter helps.
func FactorB(k *mat.SymDense, s []float64) (blas64.Triangular, error) {
	n := k.SymmetricDim()
	src := k.RawSymmetric()
	jitter := 0.0
	for try := 0; try <= maxJitterTries; try++ {
		b := blas64.Symmetric{N: n, Stride: n, Uplo: blas.Lower, Data: make([]float64, n*n)}
		for i := 0; i < n; i++ {
			for j := 0; j <= i; j++ {
				b.Data[i*n+j] = s[i] * src.Data[j*src.Stride+i] * s[j] // upper triangle of K
			}
			b.Data[i*n+i] += 1 + jitter
			if v := b.Data[i*n+i]; math.IsNaN(v) || math.IsInf(v, 0) {
				return blas64.Triangular{}, fmt.Errorf("cholesky: non-finite diagonal %v at %d", v, i)
			}
		}
		if t, ok := lapack64.Potrf(b); ok {
			return t, nil
		}
		jitter = 1e-10 * math.Pow(10, float64(try))
	}
	return blas64.Triangular{}, fmt.Errorf("cholesky: I + S^1/2 K S^1/2 (n=%d) not positive definite even with jitter %g", n, jitter)
}

// SolveL overwrites v with L \ v.
func SolveL(l blas64.Triangular, v []float64) {
	blas64.Trsv(blas.NoTrans, l, blas64.Vector{N: len(v), Inc: 1, Data: v})
}

// SolveLT overwrites v with L' \ v.
func SolveLT(l blas64.Triangular, v []float64) {
	blas64.Trsv(blas.Trans, l, blas64.Vector{N: len(v), Inc: 1, Data: v})
}

// LogDet returns sum_i log L_ii = log|B| / 2.
func LogDet(l blas64.Triangular) float64 {
	s := 0.0
	for i := 0; i < l.N; i++ {
		s += math.Log(l.Data[i*l.Stride+i])
	}
	return s
}

// SymMulVec returns K v for a symmetric K with both triangles stored.
func SymMulVec(k *mat.SymDense, v []float64) []float64 {
	out := make([]float64, len(v))
	blas64.Symv(1, k.RawSymmetric(), blas64.Vector{N: len(v), Inc: 1, Data: v}, 0, blas64.Vector{N: len(out), Inc: 1, Data: out})
	return out
}

// BInvScaled returns R = S^(1/2) B^-1 S^(1/2) (n x n), the matrix both
// marginal likelihood gradients need, from the factor of B. It solves with
// the factor column by column (diag(s) as right-hand side), as
// Rasmussen and Williams Algorithm 5.1 line 7 does.
func BInvScaled(l blas64.Triangular, s []float64) *mat.SymDense {
	n := len(s)
	g := blas64.General{Rows: n, Cols: n, Stride: n, Data: make([]float64, n*n)}
	for i := 0; i < n; i++ {
		g.Data[i*n+i] = s[i]
	}
	lapack64.Potrs(l, g)
	r := mat.NewSymDense(n, nil)
	raw := r.RawSymmetric()
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			raw.Data[i*raw.Stride+j] = 0.5 * (s[i]*g.Data[i*n+j] + s[j]*g.Data[j*n+i])
		}
	}
	return r
}

// Posterior is the Gaussian approximation ready for prediction.
type Posterior struct {
	Kernel kernel.Kernel
	X      *mat.Dense        // training inputs, one per row
	Alpha  []float64         // mean weights: y - pi (Laplace), b (EP)
	S      []float64         // square roots of the site precisions
	L      blas64.Triangular // lower Cholesky factor of I + S K S
}

// predictChunk is the number of test points one worker solves at a time:
// large enough for the blocked triangular solve to be efficient, small
// enough that the n x chunk block stays in cache-friendly sizes.
const predictChunk = 128

// MeanVar returns the latent predictive mean and variance at each row of
// xs. The variance is clamped at zero against rounding. Chunks of test
// points are solved concurrently, one worker per GOMAXPROCS.
func (p *Posterior) MeanVar(xs *mat.Dense) (mean, variance []float64) {
	m, _ := xs.Dims()
	mean = make([]float64, m)
	variance = make([]float64, m)
	chunks := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), (m+predictChunk-1)/predictChunk); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range chunks {
				hi := min(lo+predictChunk, m)
				p.meanVar(xs, lo, hi, mean[lo:hi], variance[lo:hi])
			}
		}()
	}
	for lo := 0; lo < m; lo += predictChunk {
		chunks <- lo
	}
	close(chunks)
	wg.Wait()
	return mean, variance
}

// meanVar fills mean and variance for the test rows [lo, hi).
func (p *Posterior) meanVar(xs *mat.Dense, lo, hi int, mean, variance []float64) {
	n, _ := p.X.Dims()
	m := hi - lo
	// V = S K(X, xs): n x m, solved in one triangular solve.
	v := blas64.General{Rows: n, Cols: m, Stride: m, Data: make([]float64, n*m)}
	col := make([]float64, n)
	for j := 0; j < m; j++ {
		p.Kernel.Cross(col, p.X, xs.RawRowView(lo+j))
		mu := 0.0
		for i, c := range col {
			mu += c * p.Alpha[i]
			v.Data[i*m+j] = p.S[i] * c
		}
		mean[j] = mu
	}
	blas64.Trsm(blas.Left, blas.NoTrans, 1, p.L, v)
	for j := range variance {
		variance[j] = p.Kernel.Diag()
	}
	for i := 0; i < n; i++ {
		row := v.Data[i*m : i*m+m]
		for j, x := range row {
			variance[j] -= x * x
		}
	}
	for j := range variance {
		variance[j] = math.Max(variance[j], 0)
	}
}

// Grad returns the latent mean and variance at xs and writes their
// gradients with respect to xs into dmean and dvar (length d):
//
//	dmean = sum_i alpha_i dk_i/dx
//	dvar  = -2 sum_i r_i dk_i/dx,  r = S (L' \ (L \ (S k(x))))
//
// (k(x,x) does not depend on x for a stationary kernel). With
// dk_i/dx_d = c_i (x_d - x_id) / l_d^2 both are weighted sums
// (x_d sum_i w_i - sum_i w_i x_id) / l_d^2, computed in one pass over the
// training inputs without forming the n x d derivative matrix.
func (p *Posterior) Grad(xs, dmean, dvar []float64) (mean, variance float64) {
	n, d := p.X.Dims()
	kx := make([]float64, n)
	c := make([]float64, n)
	p.Kernel.CrossDeriv(kx, c, p.X, xs)
	s := make([]float64, n)
	for i := range kx {
		mean += kx[i] * p.Alpha[i]
		s[i] = p.S[i] * kx[i]
	}
	SolveL(p.L, s)
	variance = p.Kernel.Diag()
	for _, x := range s {
		variance -= x * x
	}
	SolveLT(p.L, s)
	for j := 0; j < d; j++ {
		dmean[j], dvar[j] = 0, 0
	}
	sum1, sum2 := 0.0, 0.0
	for i := 0; i < n; i++ {
		w1, w2 := p.Alpha[i]*c[i], -2*p.S[i]*s[i]*c[i]
		sum1 += w1
		sum2 += w2
		for j, v := range p.X.RawRowView(i) {
			dmean[j] -= w1 * v
			dvar[j] -= w2 * v
		}
	}
	inv := p.Kernel.InvLengthSq(d)
	for j := 0; j < d; j++ {
		dmean[j] = (dmean[j] + xs[j]*sum1) * inv[j]
		dvar[j] = (dvar[j] + xs[j]*sum2) * inv[j]
	}
	if variance < 0 {
		variance = 0
		for j := range dvar {
			dvar[j] = 0
		}
	}
	return mean, variance
}
