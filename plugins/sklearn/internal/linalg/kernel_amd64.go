//go:build amd64 && !noasm

package linalg

import "golang.org/x/sys/cpu"

// The assembly micro-kernels in use, fixed by the CPU for the life of the
// process: AVX-512 when present, else AVX2 with FMA.
var (
	hasAVX512 = cpu.X86.HasAVX512F
	hasAsm    = hasAVX512 || (cpu.X86.HasAVX2 && cpu.X86.HasFMA)
)

// kernel4x8 is kernelGo for four rows and all nr columns in AVX2, one
// fused multiply-add per term: rows of a from a0 (row stride lda values)
// times the packed panel b, plus bias, written to c (row stride ldc).
//
//go:noescape
func kernel4x8(k int, a0 *float64, lda int, b, bias, c *float64, ldc int)

// kernel8x8 is kernelGo for all eight rows in AVX-512; the columns stored
// are the set bits of mask (the first cols).
//
//go:noescape
func kernel8x8(k int, a0 *float64, lda int, b, bias, c *float64, ldc int, mask uint8)

// dot8 sets out[i] to the dot product of row i of a (from a0, row stride
// lda values) with w, over the first 8*k8 values, for the 8 rows, in
// AVX-512: eight partial sums per row, reduced at the end.
//
//go:noescape
func dot8(k8 int, a0 *float64, lda int, w *float64, out *[mr]float64)

// tailDot sets the first cols columns of the mr-row tile at c (row stride
// ldc) to the dot products of the rows of a with the cols rows of tail (k
// values each), plus bias, and reports true; without AVX-512, or for k <
// 8, it does nothing and reports false.
func tailDot(k int, a []float64, lda int, tail []float64, cols int, bias, c []float64, ldc int) bool {
	if !hasAVX512 || k < 8 {
		return false
	}
	_ = a[(mr-1)*lda+k-1]
	_ = tail[cols*k-1]
	_ = c[(mr-1)*ldc+cols-1]
	k8 := k / 8
	var s [mr]float64
	for j := 0; j < cols; j++ {
		t := tail[j*k : (j+1)*k]
		dot8(k8, &a[0], lda, &t[0], &s)
		for i, v := range s {
			for p := 8 * k8; p < k; p++ {
				v += a[i*lda+p] * t[p]
			}
			c[i*ldc+j] = v + bias[j]
		}
	}
	return true
}

func kernel(k int, a []float64, lda int, b, bias, c []float64, ldc, cols int) {
	if !hasAsm || k == 0 {
		kernelGo(k, a, lda, b, bias, c, ldc, cols)
		return
	}
	// Bounds checks the assembly cannot do.
	_ = a[(mr-1)*lda+k-1]
	_ = b[k*nr-1]
	_ = bias[nr-1]
	_ = c[(mr-1)*ldc+cols-1]
	if hasAVX512 {
		kernel8x8(k, &a[0], lda, &b[0], &bias[0], &c[0], ldc, uint8(1)<<cols-1)
		return
	}
	kernelAVX2(k, a, lda, b, bias, c, ldc, cols)
}

// kernelAVX2 is kernel on the AVX2 kernel, for checked slices and k > 0:
// full tiles are written in place, partial ones through a temporary.
func kernelAVX2(k int, a []float64, lda int, b, bias, c []float64, ldc, cols int) {
	if cols == nr {
		kernel4x8(k, &a[0], lda, &b[0], &bias[0], &c[0], ldc)
		kernel4x8(k, &a[4*lda], lda, &b[0], &bias[0], &c[4*ldc], ldc)
		return
	}
	var tile [mr * nr]float64
	kernel4x8(k, &a[0], lda, &b[0], &bias[0], &tile[0], nr)
	kernel4x8(k, &a[4*lda], lda, &b[0], &bias[0], &tile[4*nr], nr)
	for i := 0; i < mr; i++ {
		copy(c[i*ldc:i*ldc+cols], tile[i*nr:])
	}
}
