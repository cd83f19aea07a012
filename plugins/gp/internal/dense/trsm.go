package dense

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// baseSolve is the order below which the triangular solves and the
// Cholesky factorisation stop recursing and run their plain loops.
const baseSolve = 32

// lowerView returns the leading-diagonal block [i0, i0+n) of l.
func lowerView(l blas64.Triangular, i0, n int) blas64.Triangular {
	return blas64.Triangular{N: n, Stride: l.Stride, Uplo: l.Uplo, Diag: l.Diag, Data: l.Data[i0*l.Stride+i0:]}
}

// asGeneral returns rows [i0, i0+r) and columns [j0, j0+c) of l's storage.
func asGeneral(l blas64.Triangular, i0, j0, r, c int) blas64.General {
	return View(blas64.General{Rows: l.N, Cols: l.N, Stride: l.Stride, Data: l.Data}, i0, j0, r, c)
}

func checkSolve(l blas64.Triangular, n int) {
	if l.N != n {
		panic("dense: triangular solve dimension mismatch")
	}
}

// SolveLower overwrites B (n x m) with L^-1 B for a lower triangular L
// (non-unit diagonal; only the lower triangle is read). A zero on the
// diagonal gives Inf or NaN, as in forward substitution. Large solves are
// split by columns of B between goroutines.
func SolveLower(l blas64.Triangular, b blas64.General) {
	checkSolve(l, b.Rows)
	splitCols(b, l.N*l.N*b.Cols/2, func(part blas64.General) { solveLower(l, part) })
}

// SolveLowerT overwrites B (n x m) with L'^-1 B for a lower triangular L,
// split like SolveLower.
func SolveLowerT(l blas64.Triangular, b blas64.General) {
	checkSolve(l, b.Rows)
	splitCols(b, l.N*l.N*b.Cols/2, func(part blas64.General) { solveLowerT(l, part) })
}

// SolveRightLowerT overwrites B (m x n) with B L'^-1 for a lower
// triangular L: each row x of the result solves L x' = b'. Large solves
// are split by rows of B between goroutines.
func SolveRightLowerT(l blas64.Triangular, b blas64.General) {
	checkSolve(l, b.Cols)
	splitRows(b, l.N*l.N*b.Rows/2, func(part blas64.General) { solveRightLowerT(l, part) })
}

// splitCols runs f on column blocks of b (multiples of the micro-kernel
// width) concurrently when the work is large enough, else on b.
func splitCols(b blas64.General, flops int, f func(blas64.General)) {
	w := workers(flops)
	if w < 2 || b.Cols < 2*tile.nr {
		f(b)
		return
	}
	h := (b.Cols/w + tile.nr - 1) / tile.nr * tile.nr
	var wg sync.WaitGroup
	for lo := 0; lo < b.Cols; lo += h {
		part := View(b, 0, lo, b.Rows, min(h, b.Cols-lo))
		wg.Add(1)
		go func() { defer wg.Done(); f(part) }()
	}
	wg.Wait()
}

// splitRows is splitCols by row blocks.
func splitRows(b blas64.General, flops int, f func(blas64.General)) {
	w := workers(flops)
	if w < 2 || b.Rows < 2*tile.mr {
		f(b)
		return
	}
	h := (b.Rows/w + tile.mr - 1) / tile.mr * tile.mr
	var wg sync.WaitGroup
	for lo := 0; lo < b.Rows; lo += h {
		part := View(b, lo, 0, min(h, b.Rows-lo), b.Cols)
		wg.Add(1)
		go func() { defer wg.Done(); f(part) }()
	}
	wg.Wait()
}

// solveLower is SolveLower on the calling goroutine.
func solveLower(l blas64.Triangular, b blas64.General) {
	n := l.N
	if n == 0 || b.Cols == 0 {
		return
	}
	if n <= baseSolve {
		for i := 0; i < n; i++ {
			bi := b.Data[i*b.Stride : i*b.Stride+b.Cols]
			li := l.Data[i*l.Stride : i*l.Stride+i+1]
			for p, lip := range li[:i] {
				if lip == 0 {
					continue
				}
				bp := b.Data[p*b.Stride : p*b.Stride+b.Cols]
				for j, v := range bp {
					bi[j] -= lip * v
				}
			}
			inv := 1 / li[i]
			for j := range bi {
				bi[j] *= inv
			}
		}
		return
	}
	n1 := n / 2
	b1, b2 := View(b, 0, 0, n1, b.Cols), View(b, n1, 0, n-n1, b.Cols)
	solveLower(lowerView(l, 0, n1), b1)
	mulSub(b2, asGeneral(l, n1, 0, n-n1, n1), false, b1, false, false)
	solveLower(lowerView(l, n1, n-n1), b2)
}

// solveLowerT is SolveLowerT on the calling goroutine.
func solveLowerT(l blas64.Triangular, b blas64.General) {
	n := l.N
	if n == 0 || b.Cols == 0 {
		return
	}
	if n <= baseSolve {
		for i := n - 1; i >= 0; i-- {
			bi := b.Data[i*b.Stride : i*b.Stride+b.Cols]
			li := l.Data[i*l.Stride : i*l.Stride+i+1]
			inv := 1 / li[i]
			for j := range bi {
				bi[j] *= inv
			}
			for p, lip := range li[:i] {
				if lip == 0 {
					continue
				}
				bp := b.Data[p*b.Stride : p*b.Stride+b.Cols]
				for j, v := range bi {
					bp[j] -= lip * v
				}
			}
		}
		return
	}
	n1 := n / 2
	b1, b2 := View(b, 0, 0, n1, b.Cols), View(b, n1, 0, n-n1, b.Cols)
	solveLowerT(lowerView(l, n1, n-n1), b2)
	mulSub(b1, asGeneral(l, n1, 0, n-n1, n1), true, b2, false, false)
	solveLowerT(lowerView(l, 0, n1), b1)
}

// solveRightLowerT is SolveRightLowerT on the calling goroutine.
func solveRightLowerT(l blas64.Triangular, b blas64.General) {
	n := l.N
	if n == 0 || b.Rows == 0 {
		return
	}
	if n <= baseSolve {
		r := 0
		for ; r+4 <= b.Rows; r += 4 {
			forward4(l, n, b.Data[r*b.Stride:], b.Stride)
		}
		for ; r < b.Rows; r++ {
			x := b.Data[r*b.Stride : r*b.Stride+n]
			for j := range x {
				lj := l.Data[j*l.Stride : j*l.Stride+j+1]
				s := x[j]
				for p, v := range lj[:j] {
					s -= v * x[p]
				}
				x[j] = s / lj[j]
			}
		}
		return
	}
	n1 := n / 2
	b1, b2 := View(b, 0, 0, b.Rows, n1), View(b, 0, n1, b.Rows, n-n1)
	solveRightLowerT(lowerView(l, 0, n1), b1)
	mulSub(b2, b1, false, asGeneral(l, n1, 0, n-n1, n1), true, false)
	solveRightLowerT(lowerView(l, n1, n-n1), b2)
}

// Cholesky overwrites the lower triangle of the symmetric n x n matrix a
// with its lower Cholesky factor L (a = L L') and zeroes the strict upper
// triangle, so the result is L as a blas64.Triangular. Only the lower
// triangle is read. It reports false, leaving a partly overwritten, when a
// is not numerically positive definite (a pivot is not positive or not
// finite).
func Cholesky(a blas64.General) (blas64.Triangular, bool) {
	if a.Rows != a.Cols {
		panic("dense: Cholesky of a non-square matrix")
	}
	n := a.Rows
	if !cholesky(a) {
		return blas64.Triangular{}, false
	}
	for i := 0; i < n; i++ {
		clear(a.Data[i*a.Stride+i+1 : i*a.Stride+n])
	}
	return blas64.Triangular{N: n, Stride: a.Stride, Uplo: blas.Lower, Diag: blas.NonUnit, Data: a.Data}, true
}

// cholesky is the recursive factorisation: factor A11, then
// L21 = A21 L11'^-1, A22 -= L21 L21', factor A22.
func cholesky(a blas64.General) bool {
	n := a.Rows
	if n <= baseSolve {
		return choleskyBase(a)
	}
	n1 := n / 2
	n2 := n - n1
	if !cholesky(View(a, 0, 0, n1, n1)) {
		return false
	}
	l11 := blas64.Triangular{N: n1, Stride: a.Stride, Uplo: blas.Lower, Diag: blas.NonUnit, Data: a.Data}
	a21 := View(a, n1, 0, n2, n1)
	SolveRightLowerT(l11, a21)
	syrkLowerSub(View(a, n1, n1, n2, n2), a21)
	return cholesky(View(a, n1, n1, n2, n2))
}

// syrkLowerSub computes the lower triangle of C -= A A' (C n x n, A n x k);
// it may also write the strict upper triangle of C's small diagonal blocks.
func syrkLowerSub(c, a blas64.General) {
	n := c.Rows
	if n <= 2*baseSolve {
		MulSub(c, a, false, a, true)
		return
	}
	n1 := n / 2
	a1, a2 := View(a, 0, 0, n1, a.Cols), View(a, n1, 0, n-n1, a.Cols)
	syrkLowerSub(View(c, 0, 0, n1, n1), a1)
	MulSub(View(c, n1, 0, n-n1, n1), a2, false, a1, true)
	syrkLowerSub(View(c, n1, n1, n-n1, n-n1), a2)
}

// forward4 solves L x' = b' in place for the four rows of length n at
// b[0:], b[ld:], b[2ld:], b[3ld:]: four independent dot-product chains
// share each load of L.
func forward4(l blas64.Triangular, n int, b []float64, ld int) {
	x0, x1, x2, x3 := b[:n], b[ld:ld+n], b[2*ld:2*ld+n], b[3*ld:3*ld+n]
	for j := 0; j < n; j++ {
		lj := l.Data[j*l.Stride : j*l.Stride+j+1]
		s0, s1, s2, s3 := x0[j], x1[j], x2[j], x3[j]
		d := lj[j]
		lj = lj[:j]
		a0, a1, a2, a3 := x0[:len(lj)], x1[:len(lj)], x2[:len(lj)], x3[:len(lj)] // lets the compiler drop bounds checks
		for p, v := range lj {
			s0 -= v * a0[p]
			s1 -= v * a1[p]
			s2 -= v * a2[p]
			s3 -= v * a3[p]
		}
		x0[j], x1[j], x2[j], x3[j] = s0/d, s1/d, s2/d, s3/d
	}
}

// choleskyBase is the unblocked factorisation (column by column) for
// small a; the rows below the pivot are updated four at a time so that
// their dot products run as independent chains.
func choleskyBase(a blas64.General) bool {
	n := a.Rows
	for j := 0; j < n; j++ {
		rj := a.Data[j*a.Stride : j*a.Stride+j+1]
		d := rj[j]
		for _, v := range rj[:j] {
			d -= v * v
		}
		if !(d > 0) || math.IsInf(d, 0) {
			return false
		}
		d = math.Sqrt(d)
		rj[j] = d
		i := j + 1
		for ; i+4 <= n; i += 4 {
			r0 := a.Data[i*a.Stride : i*a.Stride+j+1]
			r1 := a.Data[(i+1)*a.Stride : (i+1)*a.Stride+j+1]
			r2 := a.Data[(i+2)*a.Stride : (i+2)*a.Stride+j+1]
			r3 := a.Data[(i+3)*a.Stride : (i+3)*a.Stride+j+1]
			s0, s1, s2, s3 := r0[j], r1[j], r2[j], r3[j]
			for p, v := range rj[:j] {
				s0 -= v * r0[p]
				s1 -= v * r1[p]
				s2 -= v * r2[p]
				s3 -= v * r3[p]
			}
			r0[j], r1[j], r2[j], r3[j] = s0/d, s1/d, s2/d, s3/d
		}
		for ; i < n; i++ {
			ri := a.Data[i*a.Stride : i*a.Stride+j+1]
			s := ri[j]
			for p, v := range rj[:j] {
				s -= v * ri[p]
			}
			ri[j] = s / d
		}
	}
	return true
}
