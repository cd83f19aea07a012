//go:build amd64 && !noasm

package ops

// maxPool2x2AVX2 is maxPool2x2 on the first 4*groups windows of each
// output row (see pool_amd64.s).
//
//go:noescape
func maxPool2x2AVX2(dst, x *float32, iw, oh, ow, groups int)

// maxPool2x2BackAVX2 is maxPool2x2BackSet on the first 4*groups windows
// of each output row (see pool_amd64.s).
//
//go:noescape
func maxPool2x2BackAVX2(dx, x, gy *float32, iw, oh, ow, groups int)

// maxPool2x2Fast pools the first ow&^3 windows of each of the oh output
// rows with AVX2 and returns how many windows per row it did (0 when it
// did none). src holds at least 2*oh rows of iw, dst oh rows of ow.
func maxPool2x2Fast(dst, src []float32, iw, oh, ow int) int {
	groups := ow / 4
	if !hasAVX2 || groups == 0 || oh <= 0 || 2*ow > iw || len(src) < 2*oh*iw || len(dst) < oh*ow {
		return 0
	}
	maxPool2x2AVX2(&dst[0], &src[0], iw, oh, ow, groups)
	return 4 * groups
}

// maxPool2x2BackFast writes the gradient under the first ow&^3 windows
// of each of the oh output rows with AVX2 and returns how many windows
// per row it did (0 when it did none). x and dx hold at least 2*oh rows
// of iw, g oh rows of ow.
func maxPool2x2BackFast(dx, x, g []float32, iw, oh, ow int) int {
	groups := ow / 4
	if !hasAVX2 || groups == 0 || oh <= 0 || 2*ow > iw || len(x) < 2*oh*iw || len(dx) < 2*oh*iw || len(g) < oh*ow {
		return 0
	}
	maxPool2x2BackAVX2(&dx[0], &x[0], &g[0], iw, oh, ow, groups)
	return 4 * groups
}
