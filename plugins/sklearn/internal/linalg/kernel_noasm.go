//go:build !amd64 || noasm

package linalg

// hasAsm reports whether an assembly micro-kernel is in use.
const hasAsm = false

func kernel(k int, a []float64, lda int, b, bias, c []float64, ldc, cols int) {
	kernelGo(k, a, lda, b, bias, c, ldc, cols)
}

// tailDot has no portable version: the padded panel is used instead.
func tailDot(int, []float64, int, []float64, int, []float64, []float64, int) bool { return false }
