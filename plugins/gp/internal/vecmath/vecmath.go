// Package vecmath holds elementwise math over slices that the gp kernels
// evaluate millions of times per fit or prediction, vectorised in assembly
// where the CPU allows. Results agree with the math package to within a
// few units in the last place.
package vecmath

import "math"

// Exp overwrites each x[i] with exp(x[i]). Arguments below -745.5 give 0
// (as math.Exp, whose result underflows there); NaN and +Inf are not
// supported by the vector path and must not be passed.
func Exp(x []float64) {
	n := 0
	if hasVector {
		n = len(x) &^ (blockLen - 1)
		if n > 0 {
			expVector(x[:n])
		}
	}
	for i := n; i < len(x); i++ {
		x[i] = math.Exp(x[i])
	}
}
