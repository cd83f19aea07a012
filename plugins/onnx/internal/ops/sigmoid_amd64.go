//go:build amd64 && !noasm

package ops

import "math"

// sigmoidAVX2 and tanhAVX2 are sigmoidSlice and tanhSlice on n values (a
// multiple of 4), four float64 lanes at a time (see sigmoid_amd64.s).
//
//go:noescape
func sigmoidAVX2(dst, src *float32, n int, c *[14][4]float64, ic *[2][4]int32, tab *[8]float64)

//go:noescape
func tanhAVX2(dst, src *float32, n int, c *[14][4]float64, ic *[2][4]int32, tab *[8]float64)

// expNegAVX2 is ExpNeg on n values (a multiple of 4), four at a time.
//
//go:noescape
func expNegAVX2(dst, src *float64, n int, c *[14][4]float64, ic *[2][4]int32, tab *[8]float64)

// expConsts are the constants of the assembly loops, each in 4 lanes, in
// the order sigmoid_amd64.s documents; expIntConsts are 1023 and 7.
var (
	expConsts = func() (c [14][4]float64) {
		v := [14]float64{8 / math.Ln2, math.Ln2 / 8, 0.5, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, -700, 2, -2,
			math.Float64frombits(1<<63 - 1), math.Float64frombits(1 << 63)}
		for i, x := range v {
			c[i] = [4]float64{x, x, x, x}
		}
		return c
	}()
	expIntConsts = [2][4]int32{{1023, 1023, 1023, 1023}, {7, 7, 7, 7}}
)

// sigmoidFast and tanhFast do the longest multiple-of-4 prefix with AVX2
// and return how many values they did.
func sigmoidFast(dst, src []float32) int {
	n := len(src) &^ 3
	if !hasAVX2 || n == 0 || len(dst) < n {
		return 0
	}
	sigmoidAVX2(&dst[0], &src[0], n, &expConsts, &expIntConsts, &exp2Eighths)
	return n
}

func tanhFast(dst, src []float32) int {
	n := len(src) &^ 3
	if !hasAVX2 || n == 0 || len(dst) < n {
		return 0
	}
	tanhAVX2(&dst[0], &src[0], n, &expConsts, &expIntConsts, &exp2Eighths)
	return n
}

func expNegFast(dst, src []float64) int {
	n := len(src) &^ 3
	if !hasAVX2 || n == 0 || len(dst) < n {
		return 0
	}
	expNegAVX2(&dst[0], &src[0], n, &expConsts, &expIntConsts, &exp2Eighths)
	return n
}
