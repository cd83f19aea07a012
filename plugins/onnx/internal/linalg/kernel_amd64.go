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
// bytes per depth step) and a 16-column B panel into C. AVX2 + FMA.
//
//go:noescape
func kernel6x16acc(k int, ap, bp, c *float32, ldc, astride, rows int)

// kernel12x16acc adds the product of a 12-row A panel and a 16-column B
// panel into C. AVX-512F.
//
//go:noescape
func kernel12x16acc(k int, ap, bp, c *float32, ldc, rows int)

// kernelAcc adds the first rows (1 <= rows <= mr) of Ap * Bp (k steps,
// all nr columns) into C at c[0] with row stride ldc.
func kernelAcc(k int, ap, bp, c []float32, ldc, rows int) {
	if k <= 0 || rows <= 0 {
		return
	}
	rows = min(rows, mr)
	_ = ap[k*mr-1]
	_ = bp[k*nr-1]
	_ = c[(rows-1)*ldc+nr-1]
	switch {
	case useAVX512:
		kernel12x16acc(k, &ap[0], &bp[0], &c[0], ldc, rows)
	case useAVX2:
		kernel6x16acc(k, &ap[0], &bp[0], &c[0], ldc, 4*mr, min(rows, 6))
		if rows > 6 {
			kernel6x16acc(k, &ap[6], &bp[0], &c[6*ldc], ldc, 4*mr, rows-6)
		}
	default:
		kernelAccGo(k, ap, bp, c, ldc, rows)
	}
}
