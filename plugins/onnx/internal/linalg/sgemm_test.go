package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestSgemmMatchesGonum compares Sgemm with gonum's reference BLAS on
// shapes that exercise every edge: tiles, k blocks, column blocks,
// transposes, alpha and beta.
func TestSgemmMatchesGonum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{1, 1, 1}, {0, 3, 2}, {3, 0, 2}, {2, 3, 0}, {6, 16, 1}, {7, 17, 9},
		{5, 33, 300}, {73, 1030, 20}, {64, 10, 128}, {130, 70, 513}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
				name := fmt.Sprintf("m=%d/n=%d/k=%d/tA=%v/tB=%v/alpha=%v/beta=%v", m, n, k, tr[0], tr[1], ab[0], ab[1])
				t.Run(name, func(t *testing.T) {
					a, b := randSlice(r, max(1, m*k)), randSlice(r, max(1, k*n))
					lda, ldb := max(1, k), max(1, n)
					if tr[0] {
						lda = max(1, m)
					}
					if tr[1] {
						ldb = max(1, k)
					}
					c := randSlice(r, max(1, m*n))
					want := append([]float32(nil), c...)
					if ab[1] == 0 {
						// beta = 0 overwrites C: what it held, NaNs
						// included, must not show.
						for i := range c {
							c[i], want[i] = float32(math.NaN()), 0
						}
					}
					Sgemm(tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], c, max(1, n))
					if m > 0 && n > 0 && k == 0 {
						for i := range want {
							want[i] *= ab[1]
						}
					} else if m > 0 && n > 0 {
						ta, tb := blas.NoTrans, blas.NoTrans
						if tr[0] {
							ta = blas.Trans
						}
						if tr[1] {
							tb = blas.Trans
						}
						gonum.Implementation{}.Sgemm(ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, max(1, n))
					}
					for i := range want {
						if d := math.Abs(float64(c[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
							t.Fatalf("element %d: got %g, want %g", i, c[i], want[i])
						}
					}
				})
			}
		}
	}
}

// TestKernelsAgree checks the dispatched micro-kernel against the Go one,
// accumulating the first rows of a tile into a strided C.
func TestKernelsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range []int{1, 2, 7, 256} {
		for _, rows := range []int{1, 5, 6, 7, 11, 12} {
			checkKernel(t, r, k, rows)
		}
	}
}

func checkKernel(t *testing.T, r *rand.Rand, k, rows int) {
	t.Helper()
	ap, bp := randSlice(r, k*mr), randSlice(r, k*nr)
	const ldc = nr + 5
	for _, set := range []bool{false, true} {
		got := randSlice(r, mr*ldc)
		if set {
			// Storing must ignore what C held, NaNs included, in the rows
			// it writes, and leave the others alone.
			for i := 0; i < rows*ldc; i++ {
				got[i] = float32(math.NaN())
			}
		}
		want := append([]float32(nil), got...)
		kernelAcc(k, ap, bp, got, ldc, rows, set)
		kernelAccGo(k, ap, bp, want, ldc, rows, set)
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*float64(k) || (got[i] != got[i]) != (want[i] != want[i]) {
				t.Fatalf("k=%d rows=%d set=%v element %d: %g vs %g (asm=%v)", k, rows, set, i, got[i], want[i], useAsm)
			}
		}
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

func BenchmarkSgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{64, 128, 64}, {256, 128, 64}, {8, 4096, 9}, {64, 1024, 576}} {
		m, n, k := sz[0], sz[1], sz[2]
		a, bb, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		b.Run(fmt.Sprintf("m=%d/n=%d/k=%d", m, n, k), func(b *testing.B) {
			for b.Loop() {
				Sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
			}
			b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// TestPackedMatchesRaw checks the pre-packed entry points against Sgemm.
func TestPackedMatchesRaw(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][3]int{{1, 1, 1}, {7, 17, 9}, {80, 1100, 300}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, trans := range []bool{false, true} {
			a, b := randSlice(r, m*k), randSlice(r, k*n)
			lda, ldb := k, n
			if trans {
				lda, ldb = m, k
			}
			want, gotA, gotB := make([]float32, m*n), make([]float32, m*n), make([]float32, m*n)
			Sgemm(trans, trans, m, n, k, 1.5, a, lda, b, ldb, 0, want, n)
			SgemmPackedA(PackA(trans, m, k, a, lda), trans, n, 1.5, b, ldb, 0, gotA, n)
			SgemmPackedB(trans, m, 1.5, a, lda, PackB(trans, k, n, b, ldb), 0, gotB, n)
			for i := range want {
				if gotA[i] != want[i] || gotB[i] != want[i] {
					t.Fatalf("m=%d n=%d k=%d trans=%v: element %d: %g %g want %g", m, n, k, trans, i, gotA[i], gotB[i], want[i])
				}
			}
		}
	}
}

// TestPackA12 checks the 12-row panel packing (AVX where available)
// against its definition on odd depths and strides.
func TestPackA12(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, kcb := range []int{1, 3, 4, 7, 64, 130} {
		for _, extra := range []int{0, 5} {
			lda := kcb + extra
			a := randSlice(r, 11*lda+kcb)
			panel := make([]float32, 12*kcb)
			packA12(panel, a, lda, kcb)
			for p := 0; p < kcb; p++ {
				for i := 0; i < 12; i++ {
					if got, want := panel[p*12+i], a[i*lda+p]; got != want {
						t.Fatalf("kcb=%d lda=%d column %d row %d: %g, want %g", kcb, lda, p, i, got, want)
					}
				}
			}
		}
	}
}
