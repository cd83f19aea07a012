// Package dense is the blocked dense linear algebra the gp inference
// packages spend their time in: C -= op(A) op(B) (Gemm-style, packed
// into cache-sized panels and run through a register-blocked micro-kernel,
// AVX2/FMA assembly on amd64 when the CPU has it), triangular solves with a
// lower Cholesky factor from either side, and the lower Cholesky
// factorisation, both recursive so that nearly all their flops go through
// the matrix product.
//
// gonum's pure-Go Dgemm, Dtrsm and Dpotrf are correct but several times
// slower than an optimised BLAS on the n = 1000..2000 kernel matrices of GP
// classification; this package exists only for speed. Matrices are
// blas64.General values, row-major; a triangular argument reads only its
// lower triangle. Functions panic on mismatched dimensions (a caller's bug),
// as gonum does.
package dense
