package ops

import "math"

// Sigmoid and Tanh are hot in CNNs that gate convolutions. math.Exp and
// math.Tanh cost about 10 ns per element behind a function call each;
// these loops evaluate e^y - 1 for y <= 0 inline in float64 (range
// reduction by eighths of powers of two from a table and a degree-6
// Taylor polynomial, relative error below 1e-13), far below float32's
// rounding, so the float32 results are those of the float64 formulas
// except in rare last-bit ties.

// exp2Eighths holds 2^(j/8) for j = 0..7.
var exp2Eighths = func() (t [8]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 8)
	}
	return t
}()

// expm1Neg returns s and q with e^y = s (1 + q), for y in [-700, 0]:
// e^y - 1 = s q + (s - 1) keeps its relative accuracy near y = 0, where
// s = 1 and the subtraction would cancel.
func expm1Neg(y float64) (scale, q float64) {
	k := int(y*(8/math.Ln2) - 0.5) // round to nearest (y <= 0)
	r := y - float64(k)*(math.Ln2/8)
	q = r * (1 + r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return math.Float64frombits(uint64((k>>3)+1023)<<52) * exp2Eighths[k&7], q
}

// ExpNeg sets dst[i] = e^src[i] for src[i] <= 0 (values below -700 give
// e^-700, NaN gives NaN), relative error below 1e-13: the softmax of the
// cross-entropy, with AVX2 where available.
func ExpNeg(dst, src []float64) {
	dst = dst[:len(src)]
	n := expNegFast(dst, src)
	for i := n; i < len(src); i++ {
		y := src[i]
		if y != y {
			dst[i] = y
			continue
		}
		sc, q := expm1Neg(max(y, -700))
		dst[i] = sc * (1 + q)
	}
}

// sigmoidSlice is dst = 1/(1+e^-x): with t = e^-|x|, 1/(1+t) for x >= 0
// and t/(1+t) otherwise (no overflow), selected without branching on the
// sign.
func sigmoidSlice(dst, src []float32) {
	n := sigmoidFast(dst, src)
	sigmoidScalar(dst[n:], src[n:])
}

// sigmoidScalar is sigmoidSlice without AVX2.
func sigmoidScalar(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		if v != v {
			dst[i] = v
			continue
		}
		y := -math.Abs(float64(v))
		if y < -700 {
			y = -700
		}
		sc, q := expm1Neg(y)
		t := sc * (1 + q)
		s := 1 / (1 + t)
		neg := uint64(int64(math.Float64bits(float64(v))) >> 63) // all ones when v < 0
		num := math.Float64frombits(math.Float64bits(t)&neg | math.Float64bits(1)&^neg)
		dst[i] = float32(num * s)
	}
}

// tanhSlice is dst = tanh(x) = sign(x) * -m/(2+m) with m = e^(-2|x|) - 1.
func tanhSlice(dst, src []float32) {
	n := tanhFast(dst, src)
	tanhScalar(dst[n:], src[n:])
}

// tanhScalar is tanhSlice without AVX2.
func tanhScalar(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		if v != v {
			dst[i] = v
			continue
		}
		x := float64(v)
		y := -2 * math.Abs(x)
		if y < -700 {
			y = -700
		}
		sc, q := expm1Neg(y)
		m := sc*q + (sc - 1)
		dst[i] = float32(math.Copysign(m/(2+m), x))
	}
}
