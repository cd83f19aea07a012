package model

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// mulT sets out (n x r) = x (n x d) times w^T, w being r x d, row-major.
func mulT(x []float64, n, d int, w []float64, r int, out []float64) {
	blas64.Gemm(blas.NoTrans, blas.Trans, 1,
		blas64.General{Rows: n, Cols: d, Stride: d, Data: x[:n*d]},
		blas64.General{Rows: r, Cols: d, Stride: d, Data: w[:r*d]},
		0, blas64.General{Rows: n, Cols: r, Stride: r, Data: out[:n*r]})
}
