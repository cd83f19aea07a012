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
// kernel.Gram returns them), and FactorB and SymMulVec rely on it: they
// read K along its rows, lower and upper triangle alike.
package latent

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/dense"
	"github.com/arthost/arthost/plugins/gp/internal/kernel"
)

// maxJitterTries bounds the jitter escalation of FactorB: 1e-10 up to 1e-4
// times the mean diagonal; past that the matrix is not a covariance.
const maxJitterTries = 7

// FactorB returns the lower Cholesky factor of B = I + diag(s) K diag(s).
// B's eigenvalues are at least 1 in exact arithmetic; if rounding still
// defeats the factorisation, growing jitter is added to the diagonal. It
// fails when K or s hold non-finite values or no jitter helps. K must
// store both triangles (see the package comment).
func FactorB(k *mat.SymDense, s []float64) (blas64.Triangular, error) {
	n := k.SymmetricDim()
	return FactorBInto(make([]float64, n*n), k, s)
}

// FactorBInto is FactorB with the factor stored in work (length at least
// n*n), which the returned Triangular then shares.
func FactorBInto(work []float64, k *mat.SymDense, s []float64) (blas64.Triangular, error) {
	n := k.SymmetricDim()
	src := k.RawSymmetric()
	jitter := 0.0
	b := blas64.General{Rows: n, Cols: n, Stride: n, Data: work[:n*n]}
	for try := 0; try <= maxJitterTries; try++ {
		scaleLower(b, src, s)
		for i := 0; i < n; i++ {
			b.Data[i*n+i] += 1 + jitter
			if v := b.Data[i*n+i]; math.IsNaN(v) || math.IsInf(v, 0) {
				return blas64.Triangular{}, fmt.Errorf("cholesky: non-finite diagonal %v at %d", v, i)
			}
		}
		if t, ok := dense.Cholesky(b); ok {
			return t, nil
		}
		jitter = 1e-10 * math.Pow(10, float64(try))
	}
	return blas64.Triangular{}, fmt.Errorf("cholesky: I + S^1/2 K S^1/2 (n=%d) not positive definite even with jitter %g", n, jitter)
}

// scaleLower writes b[i][j] = s[i] k[i][j] s[j] for j <= i: the lower
// triangle of diag(s) K diag(s), read along the rows of K.
func scaleLower(b blas64.General, k blas64.Symmetric, s []float64) {
	for i := 0; i < k.N; i++ {
		krow := k.Data[i*k.Stride : i*k.Stride+i+1]
		brow := b.Data[i*b.Stride : i*b.Stride+len(krow)]
		sj := s[:len(krow)]
		si := s[i]
		for j, v := range krow {
			brow[j] = si * v * sj[j]
		}
	}
}

// SolveL overwrites v with L \ v by forward substitution, each row's dot
// product vectorised by dense.Dot.
func SolveL(l blas64.Triangular, v []float64) {
	for i := range v {
		row := l.Data[i*l.Stride : i*l.Stride+i+1]
		v[i] = (v[i] - dense.Dot(row[:i], v)) / row[i]
	}
}

// SolveLT overwrites v with L' \ v by back substitution along the rows of
// L: once x_i is known, x_i L[i, :i] is subtracted from the earlier
// entries (dense.AxpySub).
func SolveLT(l blas64.Triangular, v []float64) {
	for i := len(v) - 1; i >= 0; i-- {
		row := l.Data[i*l.Stride : i*l.Stride+i+1]
		xi := v[i] / row[i]
		v[i] = xi
		dense.AxpySub(xi, row[:i], v)
	}
}

// LogDet returns sum_i log L_ii = log|B| / 2.
func LogDet(l blas64.Triangular) float64 {
	s := 0.0
	for i := 0; i < l.N; i++ {
		s += math.Log(l.Data[i*l.Stride+i])
	}
	return s
}

// SymMulVec returns K v for a symmetric K with both triangles stored, one
// vectorised dot product per row.
func SymMulVec(k *mat.SymDense, v []float64) []float64 {
	out := make([]float64, len(v))
	raw := k.RawSymmetric()
	for i := range out {
		out[i] = dense.Dot(raw.Data[i*raw.Stride:i*raw.Stride+raw.N], v)
	}
	return out
}

// BInvScaled returns R = S^(1/2) B^-1 S^(1/2) (n x n), the matrix both
// marginal likelihood gradients need, from the factor of B. See
// BInvScaledFactor.
func BInvScaled(l blas64.Triangular, s []float64) *mat.SymDense {
	r, _ := BInvScaledFactor(l, s)
	return r
}

// BInvScaledFactor returns R = S^(1/2) B^-1 S^(1/2) and M = L \ S^(1/2)
// (n x n, lower triangular), with R = M'M. M comes from one triangular
// solve with diag(s) as right-hand side (Rasmussen and Williams,
// Algorithm 5.1 line 7, first half) and R from one matrix product, which
// runs faster than the second triangular solve it replaces; callers reuse
// M for other products with L^-1 S.
func BInvScaledFactor(l blas64.Triangular, s []float64) (*mat.SymDense, blas64.General) {
	n := len(s)
	m := blas64.General{Rows: n, Cols: n, Stride: n, Data: make([]float64, n*n)}
	for i := 0; i < n; i++ {
		m.Data[i*n+i] = s[i]
	}
	dense.SolveLower(l, m)
	r := mat.NewSymDense(n, nil)
	raw := r.RawSymmetric()
	// MulSub gives -M'M; symmetrise and negate.
	dense.MulSub(blas64.General{Rows: n, Cols: n, Stride: raw.Stride, Data: raw.Data}, m, true, m, false)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			v := -0.5 * (raw.Data[i*raw.Stride+j] + raw.Data[j*raw.Stride+i])
			raw.Data[i*raw.Stride+j], raw.Data[j*raw.Stride+i] = v, v
		}
	}
	return r, m
}

// Posterior is the Gaussian approximation ready for prediction.
type Posterior struct {
	Kernel kernel.Kernel
	X      *mat.Dense        // training inputs, one per row
	Alpha  []float64         // mean weights: y - pi (Laplace), b (EP)
	S      []float64         // square roots of the site precisions
	L      blas64.Triangular // lower Cholesky factor of I + S K S
}

// predictChunk is the number of test points handled together: one
// predictChunk x n block of cross-covariances is formed and solved at a
// time, which bounds memory for large test sets while keeping the
// triangular solve a large matrix product.
const predictChunk = 1024

// MeanVar returns the latent predictive mean and variance at each row of
// xs. The variance is clamped at zero against rounding. For a chunk of test
// points it forms V = K(xs, X) S (one test point per row), solves
// V <- V L'^-1 in one blocked triangular solve, and takes
// var = k(x,x) - |row of V|^2.
func (p *Posterior) MeanVar(xs *mat.Dense) (mean, variance []float64) {
	m, _ := xs.Dims()
	n, _ := p.X.Dims()
	mean = make([]float64, m)
	variance = make([]float64, m)
	size := min(m, predictChunk) * n
	bp, _ := scratch.Get().(*[]float64)
	if bp == nil || cap(*bp) < size {
		bp = new([]float64)
		*bp = make([]float64, size)
	}
	defer scratch.Put(bp)
	buf := (*bp)[:size]
	for lo := 0; lo < m; lo += predictChunk {
		hi := min(lo+predictChunk, m)
		v := blas64.General{Rows: hi - lo, Cols: n, Stride: n, Data: buf[:(hi-lo)*n]}
		parallelRows(hi-lo, n, func(r0, r1 int) {
			for j := r0; j < r1; j++ {
				row := v.Data[j*n : j*n+n]
				p.Kernel.Cross(row, p.X, xs.RawRowView(lo+j))
				mean[lo+j] = dense.Dot(row, p.Alpha)
				for i, sc := range p.S[:len(row)] {
					row[i] *= sc
				}
			}
		})
		dense.SolveRightLowerT(p.L, v)
		diag := p.Kernel.Diag()
		for j := range hi - lo {
			row := v.Data[j*n : j*n+n]
			variance[lo+j] = math.Max(diag-dense.Dot(row, row), 0)
		}
	}
	return mean, variance
}

// scratch recycles MeanVar's cross-covariance blocks (up to predictChunk
// x n floats each) between calls, sparing the allocator and the collector
// a fresh multi-megabyte block per prediction.
var scratch sync.Pool

// parallelRows calls f on contiguous ranges covering [0, rows), one per
// GOMAXPROCS, when rows x cols is large enough to pay for the goroutines.
func parallelRows(rows, cols int, f func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), rows)
	if rows*cols < 1<<14 || w < 2 {
		f(0, rows)
		return
	}
	h := (rows + w - 1) / w
	var wg sync.WaitGroup
	for lo := 0; lo < rows; lo += h {
		wg.Add(1)
		go func() { defer wg.Done(); f(lo, min(lo+h, rows)) }()
	}
	wg.Wait()
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
		row := p.X.RawRowView(i)
		dense.AxpySub(w1, row, dmean)
		dense.AxpySub(w2, row, dvar)
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
