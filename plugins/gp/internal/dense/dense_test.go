package dense

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// randGeneral returns an r x c matrix with stride c+pad, so that views
// with a stride larger than their width are exercised.
func randGeneral(rng *rand.Rand, r, c, pad int) blas64.General {
	g := blas64.General{Rows: r, Cols: c, Stride: c + pad, Data: make([]float64, r*(c+pad))}
	for i := range g.Data {
		g.Data[i] = rng.NormFloat64()
	}
	return g
}

func at(g blas64.General, trans bool, i, j int) float64 {
	if trans {
		return g.Data[j*g.Stride+i]
	}
	return g.Data[i*g.Stride+j]
}

func maxDiff(t *testing.T, got, want blas64.General) float64 {
	t.Helper()
	d := 0.0
	for i := 0; i < want.Rows; i++ {
		for j := 0; j < want.Cols; j++ {
			d = math.Max(d, math.Abs(got.Data[i*got.Stride+j]-want.Data[i*want.Stride+j]))
		}
	}
	return d
}

func clone(g blas64.General) blas64.General {
	g.Data = append([]float64(nil), g.Data...)
	return g
}

// withTiles runs f once under each micro-kernel this CPU can run.
func withTiles(t *testing.T, f func(t *testing.T)) {
	saved := tile
	defer func() { tile = saved }()
	for _, ts := range tileShapes() {
		tile = ts
		t.Run(fmt.Sprintf("tile=%dx%d,asm=%v", ts.mr, ts.nr, ts.asm != nil), f)
	}
}

// TestMulSub compares C -= op(A) op(B) with the triple loop for every
// micro-kernel, every transpose combination, sizes with partial tiles and
// several cache blocks, and products large enough to take the parallel
// path.
func TestMulSub(t *testing.T) { withTiles(t, testMulSub) }

func testMulSub(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{{0, 3, 4}, {1, 1, 1}, {5, 7, 3}, {6, 8, 1}, {13, 17, 300}, {100, 9, 520}, {7, 600, 33}, {200, 130, 270}}
	for _, s := range sizes {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				m, n, k := s[0], s[1], s[2]
				t.Run(fmt.Sprintf("m=%d,n=%d,k=%d,ta=%v,tb=%v", m, n, k, ta, tb), func(t *testing.T) {
					var a, b blas64.General
					if ta {
						a = randGeneral(rng, k, m, 2)
					} else {
						a = randGeneral(rng, m, k, 1)
					}
					if tb {
						b = randGeneral(rng, n, k, 3)
					} else {
						b = randGeneral(rng, k, n, 0)
					}
					c := randGeneral(rng, m, n, 5)
					want := clone(c)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							s := 0.0
							for p := 0; p < k; p++ {
								s += at(a, ta, i, p) * at(b, tb, p, j)
							}
							want.Data[i*want.Stride+j] -= s
						}
					}
					MulSub(c, a, ta, b, tb)
					if d := maxDiff(t, c, want); d > 1e-11*float64(k+1) {
						t.Errorf("max |C - want| = %g", d)
					}
					// The padding beyond each row is untouched.
					for i := 0; i < m; i++ {
						for j := n; j < c.Stride; j++ {
							if c.Data[i*c.Stride+j] != want.Data[i*want.Stride+j] {
								t.Fatalf("padding (%d,%d) overwritten", i, j)
							}
						}
					}
				})
			}
		}
	}
}

// TestKernel compares each micro-kernel with the triple loop.
func TestKernel(t *testing.T) {
	for _, ts := range tileShapes() {
		t.Run(fmt.Sprintf("tile=%dx%d,asm=%v", ts.mr, ts.nr, ts.asm != nil), func(t *testing.T) { testKernel(t, ts) })
	}
}

func testKernel(t *testing.T, ts tileShape) {
	mr, nr := ts.mr, ts.nr
	rng := rand.New(rand.NewPCG(3, 4))
	for _, k := range []int{1, 2, 7, 256} {
		a, b := make([]float64, k*mr), make([]float64, k*nr)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		ldc := nr + 3
		c := make([]float64, mr*ldc)
		for i := range c {
			c[i] = rng.NormFloat64()
		}
		want := append([]float64(nil), c...)
		for i := 0; i < mr; i++ {
			for j := 0; j < nr; j++ {
				for p := 0; p < k; p++ {
					want[i*ldc+j] -= a[p*mr+i] * b[p*nr+j]
				}
			}
		}
		ts.kernel(k, a, b, c, ldc)
		for i := range c {
			if math.Abs(c[i]-want[i]) > 1e-12*float64(k) {
				t.Fatalf("k=%d: element %d: %v, want %v", k, i, c[i], want[i])
			}
		}
	}
}

// spd returns a random symmetric positive definite n x n matrix
// (I + G G'/n, both triangles) with stride n+pad.
func spd(rng *rand.Rand, n, pad int) blas64.General {
	g := randGeneral(rng, n, n, 0)
	a := blas64.General{Rows: n, Cols: n, Stride: n + pad, Data: make([]float64, n*(n+pad))}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for p := 0; p < n; p++ {
				s += g.Data[i*n+p] * g.Data[j*n+p]
			}
			a.Data[i*a.Stride+j] = s / float64(n)
		}
		a.Data[i*a.Stride+i] += 1
	}
	return a
}

// TestCholesky checks L L' = A (the factorisation's identity) under every
// micro-kernel.
func TestCholesky(t *testing.T) { withTiles(t, testCholesky) }

func testCholesky(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 5, 32, 33, 100, 257} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			a := spd(rng, n, 2)
			orig := clone(a)
			l, ok := Cholesky(a)
			if !ok {
				t.Fatal("not positive definite")
			}
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					s := 0.0
					for p := 0; p < n; p++ {
						s += at(a, false, i, p) * at(a, false, j, p)
					}
					if j > i && a.Data[i*a.Stride+j] != 0 {
						t.Fatalf("upper (%d,%d) not zeroed", i, j)
					}
					if d := math.Abs(s - orig.Data[i*orig.Stride+j]); d > 1e-12*float64(n) {
						t.Fatalf("(L L')_%d%d - A = %g", i, j, d)
					}
				}
			}
			if l.N != n {
				t.Fatalf("N = %d", l.N)
			}
		})
	}
	t.Run("not positive definite", func(t *testing.T) {
		a := spd(rng, 80, 0)
		a.Data[70*a.Stride+70] = -1
		if _, ok := Cholesky(a); ok {
			t.Fatal("factorised an indefinite matrix")
		}
		a = spd(rng, 80, 0)
		a.Data[3*a.Stride+3] = math.NaN()
		if _, ok := Cholesky(a); ok {
			t.Fatal("factorised a matrix with NaN")
		}
	})
}

// TestSolves compares the three triangular solves with gonum's Dtrsm under
// every micro-kernel.
func TestSolves(t *testing.T) { withTiles(t, testSolves) }

func testSolves(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 20, 33, 150, 300} {
		for _, m := range []int{1, 9, 70} {
			t.Run(fmt.Sprintf("n=%d,m=%d", n, m), func(t *testing.T) {
				l, ok := Cholesky(spd(rng, n, 1))
				if !ok {
					t.Fatal("cholesky failed")
				}
				cases := []struct {
					name  string
					side  blas.Side
					trans blas.Transpose
					rows  int
					cols  int
					solve func(blas64.Triangular, blas64.General)
				}{
					{"lower", blas.Left, blas.NoTrans, n, m, SolveLower},
					{"lowerT", blas.Left, blas.Trans, n, m, SolveLowerT},
					{"rightLowerT", blas.Right, blas.Trans, m, n, SolveRightLowerT},
				}
				for _, c := range cases {
					b := randGeneral(rng, c.rows, c.cols, 2)
					want := clone(b)
					blas64.Trsm(c.side, c.trans, 1, l, want)
					c.solve(l, b)
					if d := maxDiff(t, b, want); d > 1e-10 {
						t.Errorf("%s: max diff %g", c.name, d)
					}
				}
			})
		}
	}
}

// TestVector compares Dot and AxpySub with plain loops at lengths around
// the vector block.
func TestVector(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 100, 257} {
		x, y := make([]float64, n), make([]float64, n+3)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		for i := range y {
			y[i] = rng.NormFloat64()
		}
		want := 0.0
		for i := range x {
			want += x[i] * y[i]
		}
		if got := Dot(x, y); math.Abs(got-want) > 1e-13*float64(n+1) {
			t.Errorf("n=%d: Dot = %v, want %v", n, got, want)
		}
		wantY := append([]float64(nil), y...)
		for i := range x {
			wantY[i] -= 0.7 * x[i]
		}
		AxpySub(0.7, x, y)
		for i := range y {
			if math.Abs(y[i]-wantY[i]) > 1e-15*(1+math.Abs(wantY[i])) {
				t.Fatalf("n=%d: AxpySub y[%d] = %v, want %v", n, i, y[i], wantY[i])
			}
		}
	}
}
