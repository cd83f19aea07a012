package dense

// Dot returns sum_i x[i] y[i] over len(x) elements (y at least as long).
// With AVX-512 the bulk runs in two vector accumulators, so the rounding
// differs from a left-to-right sum.
func Dot(x, y []float64) float64 {
	y = y[:len(x)]
	n := 0
	s := 0.0
	if vectorAsm {
		n = len(x) &^ (vectorBlock - 1)
		if n > 0 {
			s = dotVector(x[:n], y[:n])
		}
	}
	for i := n; i < len(x); i++ {
		s += x[i] * y[i]
	}
	return s
}

// AxpySub computes y[i] -= alpha x[i] over len(x) elements (y at least as
// long).
func AxpySub(alpha float64, x, y []float64) {
	y = y[:len(x)]
	n := 0
	if vectorAsm {
		n = len(x) &^ (vectorBlock - 1)
		if n > 0 {
			axpySubVector(alpha, x[:n], y[:n])
		}
	}
	for i := n; i < len(x); i++ {
		y[i] -= alpha * x[i]
	}
}
