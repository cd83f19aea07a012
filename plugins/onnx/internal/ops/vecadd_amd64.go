//go:build amd64 && !noasm

package ops

// addAVX2 is dst[i] += src[i] for i < n (n a multiple of 8).
//
//go:noescape
func addAVX2(dst, src *float32, n int)

// reluMaskAVX2 is dx[i] = g[i] where x[i]'s bits, as a signed integer,
// are positive (x > 0 or a positive NaN), else +0, for i < n (n a
// multiple of 8).
//
//go:noescape
func reluMaskAVX2(dx, gr, x *float32, n int)

// addFast adds the longest multiple-of-8 prefix of src into dst with
// AVX2 (the same IEEE additions as the scalar loop) and returns how many
// values it did.
func addFast(dst, src []float32) int {
	n := len(src) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	_ = dst[n-1]
	addAVX2(&dst[0], &src[0], n)
	return n
}

// reluMaskFast is the Relu backward mask over the longest multiple-of-8
// prefix; it returns how many values it did.
func reluMaskFast(dx, g, x []float32) int {
	n := len(dx) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	_, _ = g[n-1], x[n-1]
	reluMaskAVX2(&dx[0], &g[0], &x[0], n)
	return n
}

// addScalarAVX2 is dst[i] = src[i] + b for i < n (n a multiple of 8).
//
//go:noescape
func addScalarAVX2(dst, src *float32, b float32, n int)

// addScalarFast does dst[i] = src[i] + b over the longest multiple-of-8
// prefix with AVX2 and returns how many values it did.
func addScalarFast(dst, src []float32, b float32) int {
	n := len(dst) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	_ = src[n-1]
	addScalarAVX2(&dst[0], &src[0], b, n)
	return n
}
