package vecmath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// softmaxRef is the softmax of one row with math.Exp and one division per
// value, the reference SoftmaxRows is checked against.
func softmaxRef(row []float64) []float64 {
	m := math.Inf(-1)
	hasNaN := false
	for _, v := range row {
		hasNaN = hasNaN || math.IsNaN(v)
		m = math.Max(m, v)
	}
	out := make([]float64, len(row))
	s := 0.0
	for j, v := range row {
		out[j] = math.Exp(v - m)
		s += out[j]
	}
	for j := range out {
		out[j] /= s
		if hasNaN {
			out[j] = math.NaN()
		}
	}
	return out
}

// softmaxImpls are the versions of SoftmaxRows under test: as chosen at
// run time, and with the portable row loops (over the run-time Exp).
var softmaxImpls = map[string]func(z []float64, k int){
	"runtime":  SoftmaxRows,
	"portable": func(z []float64, k int) { softmaxRows(z, k, false) },
}

// checkSoftmax runs f on rows of k values and compares every row with
// softmaxRef: both all NaN, or each value within 8+k ulps (Exp's 4, the
// reciprocal's and the sum's rounding, which grows with k and whose order
// the vector kernels change).
func checkSoftmax(t *testing.T, name string, f func(z []float64, k int), z []float64, k int) {
	t.Helper()
	got := append([]float64(nil), z...)
	f(got, k)
	for lo := 0; lo < len(z); lo += k {
		want := softmaxRef(z[lo : lo+k])
		for j, w := range want {
			g := got[lo+j]
			if math.IsNaN(w) != math.IsNaN(g) || !math.IsNaN(w) && math.Abs(g-w) > float64(8+k)*ulpOf(w) {
				t.Fatalf("%s: k %d row %v: softmax[%d] = %v, want %v", name, k, z[lo:lo+k], j, g, w)
			}
		}
	}
}

// ulpOf is the spacing of float64 values at v (at least the smallest
// subnormal).
func ulpOf(v float64) float64 {
	v = math.Abs(v)
	return math.Max(math.Nextafter(v, math.Inf(1))-v, 0x1p-1074)
}

// TestSoftmaxRows compares SoftmaxRows with the reference on random rows
// of every width up to 20 and some wider (past the assembly's limit of
// softmaxBuf/8) and up to 70 rows (several blocks), and on rows with a
// special value at every position.
func TestSoftmaxRows(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for name, f := range softmaxImpls {
		t.Run(name, func(t *testing.T) {
			for _, k := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 63, 64, 65, 100} {
				for _, rows := range []int{0, 1, 2, 7, 8, 9, 70} {
					z := make([]float64, rows*k)
					for i := range z {
						z[i] = rng.NormFloat64() * 10
					}
					checkSoftmax(t, fmt.Sprintf("%d rows", rows), f, z, k)
				}
				for _, s := range special() {
					for pos := 0; pos < k; pos++ {
						z := make([]float64, 3*k)
						for i := range z {
							z[i] = float64(i%5) - 2.5
						}
						z[k+pos] = s
						checkSoftmax(t, fmt.Sprintf("%v at %d", s, pos), f, z, k)
					}
				}
			}
			// Rows of equal values, of signed zeros and of -Inf only.
			for _, row := range [][]float64{
				{3, 3, 3, 3, 3}, {0, math.Copysign(0, -1), 0, math.Copysign(0, -1), 0},
				{math.Inf(-1), math.Inf(-1), math.Inf(-1), math.Inf(-1), math.Inf(-1)},
				{-1000, -1001, -999, -2000, -1000}, {1e300, -1e300, 1e-300, 0, 1},
			} {
				checkSoftmax(t, fmt.Sprint(row), f, row, len(row))
			}
		})
	}
}

func TestSoftmaxRowsPanics(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ n, k int }{"k zero": {4, 0}, "ragged": {7, 3}} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic for %d values in rows of %d", c.n, c.k)
				}
			}()
			SoftmaxRows(make([]float64, c.n), c.k)
		})
	}
}

func BenchmarkSoftmaxRows(b *testing.B) {
	for _, k := range []int{2, 3, 4, 10, 16} {
		z := make([]float64, 1000*k)
		src := make([]float64, len(z))
		for i := range src {
			src[i] = float64(i%17) - 8
		}
		for name, f := range softmaxImpls {
			b.Run(fmt.Sprintf("k=%d/%s", k, name), func(b *testing.B) {
				for range b.N {
					copy(z, src)
					f(z, k)
				}
			})
		}
	}
}
