//go:build amd64 && !noasm

package vecmath

import "golang.org/x/sys/cpu"

// hasAsm reports whether Exp uses the AVX2/FMA kernel, and hasAVX512
// whether it also uses the eight-wide AVX-512 one; both are fixed by the
// CPU for the life of the process.
var (
	hasAsm    = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = hasAsm && cpu.X86.HasAVX512F
)

// exp4 sets dst[i] = e^src[i] for the first blocks*4 values, by
// Cody-Waite reduction x = n ln 2 + r (|r| <= ln2/2), the degree-13 Taylor
// polynomial of e^r and a scale by 2^n built in the exponent bits. It stops
// before the first block of four with an argument outside [expLo, expHi]
// (or NaN), leaving it unwritten, and returns the number of blocks done.
//
//go:noescape
func exp4(dst, src *float64, blocks int) int

// exp8 is exp4 in blocks of eight with AVX-512; it computes the same
// values, bit for bit.
//
//go:noescape
func exp8(dst, src *float64, blocks int) int

func exp(dst, src []float64) { expWidth(dst, src, 8) }

// expWidth is Exp with kernels at most width values wide (8 or 4), so
// tests can reach the four-wide kernel on AVX-512 machines too.
func expWidth(dst, src []float64, width int) {
	if !hasAsm {
		expGo(dst, src)
		return
	}
	done := 0
	if width >= 8 && hasAVX512 {
		done = expBlocks(dst, src, 8, exp8)
	}
	done += expBlocks(dst[done:], src[done:], 4, exp4)
	n := len(src)
	if rest := n - done; rest > 0 {
		// The tail (under four values) goes through the four-wide kernel
		// from a padded copy.
		var in, out [4]float64
		copy(in[:], src[done:])
		if exp4(&out[0], &in[0], 1) == 1 {
			copy(dst[done:], out[:rest])
		} else {
			expGo(dst[done:n], src[done:])
		}
	}
}

// expBlocks runs kernel over the whole blocks of w values of src, sending
// a block the kernel refuses to expGo, and returns how many values it did.
func expBlocks(dst, src []float64, w int, kernel func(dst, src *float64, blocks int) int) int {
	full := len(src) / w
	if full == 0 {
		return 0
	}
	_ = dst[w*full-1]
	for i := 0; i < full; {
		i += kernel(&dst[w*i], &src[w*i], full-i)
		if i < full {
			// A block the kernel left: src is still intact there.
			expGo(dst[w*i:w*i+w], src[w*i:w*i+w])
			i++
		}
	}
	return w * full
}
