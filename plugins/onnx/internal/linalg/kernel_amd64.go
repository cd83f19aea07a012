//go:build amd64 && !noasm

package linalg

import "golang.org/x/sys/cpu"

// The assembly micro-kernels, chosen once from the CPU's features.
var (
	useAVX512 = cpu.X86.HasAVX512F
	useAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	useAsm    = useAVX512 || useAVX2
)

// kernel6x16acc adds the product of a 6-row slice of A panels (astride
// bytes per depth step) and a 16-column B panel into C, or stores it
// there when set is 1. AVX2 + FMA.
//
//go:noescape
func kernel6x16acc(k int, ap, bp, c *float32, ldc, astride, rows, set int)

// kernel12x16acc adds the product of a 12-row A panel and a 16-column B
// panel into C, or stores it there when set is 1. AVX-512F.
//
//go:noescape
func kernel12x16acc(k int, ap, bp, c *float32, ldc, rows, set int)

// kernelAcc adds the first rows (1 <= rows <= mr) of Ap * Bp (k steps,
// all nr columns) into C at c[0] with row stride ldc; with set, it
// overwrites those rows of C instead (whatever they held).
func kernelAcc(k int, ap, bp, c []float32, ldc, rows int, set bool) {
	if k <= 0 || rows <= 0 {
		return
	}
	rows = min(rows, mr)
	st := 0
	if set {
		st = 1
	}
	_ = ap[k*mr-1]
	_ = bp[k*nr-1]
	_ = c[(rows-1)*ldc+nr-1]
	switch {
	case useAVX512:
		kernel12x16acc(k, &ap[0], &bp[0], &c[0], ldc, rows, st)
	case useAVX2:
		kernel6x16acc(k, &ap[0], &bp[0], &c[0], ldc, 4*mr, min(rows, 6), st)
		if rows > 6 {
			kernel6x16acc(k, &ap[6], &bp[0], &c[6*ldc], ldc, 4*mr, rows-6, st)
		}
	default:
		kernelAccGo(k, ap, bp, c, ldc, rows, set)
	}
}

// packA12AVX transposes 12 rows of A by 4*k4 columns into a panel (AVX).
//
//go:noescape
func packA12AVX(panel, a *float32, lda, k4 int)

// packA12Fast packs the longest multiple-of-4 prefix of the kcb columns
// of packA12 with AVX and returns how many columns it did.
func packA12Fast(panel, a []float32, lda, kcb int) int {
	k4 := kcb / 4
	if !useAVX2 && !useAVX512 || k4 == 0 || len(panel) < 12*kcb || len(a) < 11*lda+kcb {
		return 0
	}
	packA12AVX(&panel[0], &a[0], lda, k4)
	return 4 * k4
}
