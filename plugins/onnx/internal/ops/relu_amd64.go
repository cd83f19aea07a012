//go:build amd64 && !noasm

package ops

import "golang.org/x/sys/cpu"

var hasAVX2 = cpu.X86.HasAVX2

// reluAVX2 is max(0, x) over n (a multiple of 32) values.
//
//go:noescape
func reluAVX2(dst, src *float32, n int)

// reluFast handles the longest multiple-of-32 prefix with AVX2 and
// returns how many values it did.
func reluFast(dst, src []float32) int {
	n := len(src) &^ 31
	if !hasAVX2 || n == 0 {
		return 0
	}
	_ = dst[n-1]
	reluAVX2(&dst[0], &src[0], n)
	return n
}
