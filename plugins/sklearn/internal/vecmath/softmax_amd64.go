//go:build amd64 && !noasm

package vecmath

// rowAsm reports whether rows of k values go to the AVX-512 row kernels:
// whenever the CPU has them (measured faster than the scalar loops from
// rows of 2 values up).
func rowAsm(int) bool { return hasAVX512 }

// maxSubRows writes each of rows rows of k values at src, less its
// largest value, to dst, eight values per step, the last k%8 of a row
// under tail's bits. Which of several NaNs it keeps differs from
// maxSubGo, but a NaN in a row leaves a NaN in the row either way. dst
// should not be src: a load that meets the masked store of the row
// before stalls until that store is done.
//
//go:noescape
func maxSubRows(dst, src *float64, rows, k int, tail uint8)

// scaleRows writes each of rows rows of k values at src, times the
// reciprocal of its sum, to dst, eight values per step as maxSubRows.
//
//go:noescape
func scaleRows(dst, src *float64, rows, k int, tail uint8)

// maxSubAsm is maxSubGo from src into dst (len(src) values).
func maxSubAsm(dst, src []float64, k int) {
	if len(src) > 0 {
		_ = dst[len(src)-1]
		maxSubRows(&dst[0], &src[0], len(src)/k, k, uint8(1)<<(k%8)-1)
	}
}

// normalizeAsm is normalizeGo from src into dst (len(src) values).
func normalizeAsm(dst, src []float64, k int) {
	if len(src) > 0 {
		_ = dst[len(src)-1]
		scaleRows(&dst[0], &src[0], len(src)/k, k, uint8(1)<<(k%8)-1)
	}
}
