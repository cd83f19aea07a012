//go:build amd64 && !noasm

package linalg

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// TestAsmKernels runs each assembly micro-kernel the CPU supports (not only
// the one Mul picks) against the portable one.
func TestAsmKernels(t *testing.T) {
	t.Parallel()
	avx2 := func(k int, a []float64, lda int, b, bias, c []float64, ldc, cols int) {
		if k == 0 {
			kernelGo(k, a, lda, b, bias, c, ldc, cols)
			return
		}
		kernelAVX2(k, a, lda, b, bias, c, ldc, cols)
	}
	avx512 := func(k int, a []float64, lda int, b, bias, c []float64, ldc, cols int) {
		if k == 0 {
			kernelGo(k, a, lda, b, bias, c, ldc, cols)
			return
		}
		kernel8x8(k, &a[0], lda, &b[0], &bias[0], &c[0], ldc, uint8(1)<<cols-1)
	}
	t.Run("avx2", func(t *testing.T) {
		if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
			t.Skip("not supported by this CPU")
		}
		checkKernel(t, "avx2", avx2)
	})
	t.Run("avx512", func(t *testing.T) {
		if !cpu.X86.HasAVX512F {
			t.Skip("not supported by this CPU")
		}
		checkKernel(t, "avx512", avx512)
	})
}
