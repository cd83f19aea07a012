package vecmath

import "fmt"

// softmaxBlock is about how many values SoftmaxRows takes through all its
// passes at a time, so that a block stays in L1 cache from one pass to
// the next (a 1000-row output does not).
const softmaxBlock = 512

// SoftmaxRows sets every row of k values of z to its softmax,
// z_j <- e^(z_j - m) / sum_i e^(z_i - m) with m the row's largest value,
// the row being multiplied by the reciprocal of the sum (within an ulp of
// dividing each value). A row holding a NaN or +Inf, or only -Inf, becomes
// all NaN. It panics if k < 1 or len(z) is not a multiple of k.
func SoftmaxRows(z []float64, k int) {
	if k < 1 || len(z)%k != 0 {
		panic(fmt.Sprintf("vecmath: softmax of %d values in rows of %d", len(z), k))
	}
	softmaxRows(z, k, true)
}

// softmaxBuf bounds the block the assembly row kernels take through a
// scratch buffer (rows of more than softmaxBuf/8 values use the portable
// loops).
const softmaxBuf = 512

// softmaxRows is SoftmaxRows, on the assembly row kernels when asm is true
// and the CPU has them. They go from z to a scratch block and back, since
// in place a row's loads would wait for the row before's masked stores.
func softmaxRows(z []float64, k int, asm bool) {
	// A multiple of 8 rows: a whole number of the exponential's vectors.
	step := max(8, softmaxBlock/k&^7) * k
	var buf [softmaxBuf]float64
	for lo := 0; lo < len(z); lo += step {
		b := z[lo:min(lo+step, len(z))]
		if asm && rowAsm(k) && step <= softmaxBuf {
			t := buf[:len(b)]
			maxSubAsm(t, b, k)
			exp(t, t)
			normalizeAsm(b, t, k)
			continue
		}
		maxSubGo(b, k)
		exp(b, b)
		normalizeGo(b, k)
	}
}

// maxSubGo subtracts from every row of k values of z its largest value
// (NaN values are skipped unless first).
func maxSubGo(z []float64, k int) {
	for lo := 0; lo < len(z); lo += k {
		row := z[lo : lo+k]
		m := row[0]
		for _, v := range row[1:] {
			if v > m {
				m = v
			}
		}
		for j := range row {
			row[j] -= m
		}
	}
}

// normalizeGo multiplies every row of k values of z by the reciprocal of
// its sum.
func normalizeGo(z []float64, k int) {
	for lo := 0; lo < len(z); lo += k {
		row := z[lo : lo+k]
		s := 0.0
		for _, v := range row {
			s += v
		}
		inv := 1 / s
		for j := range row {
			row[j] *= inv
		}
	}
}
