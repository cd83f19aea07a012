package vecmath

import (
	"fmt"
	"math"
)

// The vector exponential covers [expLo, expHi]: 2^n with n = round(x/ln 2)
// is then a normal float64. Blocks with other arguments (or NaN) go to
// math.Exp.
const (
	expLo = -708.0
	expHi = 709.0
)

// Exp sets dst[i] = e^src[i] for every i; dst and src may be the same
// slice. It panics if dst is shorter than src.
func Exp(dst, src []float64) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("vecmath: exp of %d values into %d", len(src), len(dst)))
	}
	exp(dst[:len(src)], src)
}

// expGo is the portable Exp.
func expGo(dst, src []float64) {
	for i, v := range src {
		dst[i] = math.Exp(v)
	}
}
