//go:build amd64 && !noasm

package vecmath

import "golang.org/x/sys/cpu"

// hasAsm reports whether Exp uses the AVX2/FMA kernel; it is fixed by the
// CPU for the life of the process.
var hasAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// exp4 sets dst[i] = e^src[i] for the first blocks*4 values, by
// Cody-Waite reduction x = n ln 2 + r (|r| <= ln2/2), the degree-13 Taylor
// polynomial of e^r and a scale by 2^n built in the exponent bits. It stops
// before the first block of four with an argument outside [expLo, expHi]
// (or NaN), leaving it unwritten, and returns the number of blocks done.
//
//go:noescape
func exp4(dst, src *float64, blocks int) int

func exp(dst, src []float64) {
	if !hasAsm {
		expGo(dst, src)
		return
	}
	n := len(src)
	full := n / 4
	if full > 0 {
		_ = dst[4*full-1]
	}
	for i := 0; i < full; {
		i += exp4(&dst[4*i], &src[4*i], full-i)
		if i < full {
			// A block the kernel left: src is still intact there.
			expGo(dst[4*i:4*i+4], src[4*i:4*i+4])
			i++
		}
	}
	if rest := n % 4; rest > 0 {
		// The tail goes through the same kernel from a padded copy.
		var in, out [4]float64
		copy(in[:], src[n-rest:])
		if exp4(&out[0], &in[0], 1) == 1 {
			copy(dst[n-rest:], out[:rest])
		} else {
			expGo(dst[n-rest:n], src[n-rest:])
		}
	}
}
