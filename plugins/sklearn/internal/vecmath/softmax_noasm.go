//go:build !amd64 || noasm

package vecmath

// rowAsm reports whether rows of k values go to assembly kernels: never.
func rowAsm(int) bool { return false }

func maxSubAsm(dst, src []float64, k int) {
	copy(dst, src)
	maxSubGo(dst[:len(src)], k)
}

func normalizeAsm(dst, src []float64, k int) {
	copy(dst, src)
	normalizeGo(dst[:len(src)], k)
}
