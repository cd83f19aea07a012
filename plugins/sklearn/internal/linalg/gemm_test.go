package linalg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refMulT is the plain reference: dst[i][j] = sum_k x[i][k] w[j][k] + bias[j],
// with w row-major r x d. scale[i][j] is sum_k |x[i][k] w[j][k]|, the size
// the rounding error is measured against.
func refMulT(x []float64, n, d int, w []float64, r int, bias []float64) (dst, scale []float64) {
	dst, scale = make([]float64, n*r), make([]float64, n*r)
	for i := 0; i < n; i++ {
		for j := 0; j < r; j++ {
			s, a := 0.0, 0.0
			for k := 0; k < d; k++ {
				s += x[i*d+k] * w[j*d+k]
				a += math.Abs(x[i*d+k] * w[j*d+k])
			}
			if bias != nil {
				s += bias[j]
				a += math.Abs(bias[j])
			}
			dst[i*r+j], scale[i*r+j] = s, a
		}
	}
	return dst, scale
}

func randSlice(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64() * math.Exp2(float64(rng.IntN(9)-4))
	}
	return v
}

// checkClose fails when got differs from want by more than a few rounding
// errors of the terms summed (depth d).
func checkClose(t *testing.T, got, want, scale []float64, d int) {
	t.Helper()
	tol := float64(d+2) * 0x1p-52
	for i := range want {
		if diff := math.Abs(got[i] - want[i]); diff > tol*scale[i] || math.IsNaN(got[i]) {
			t.Fatalf("element %d: got %v, want %v (diff %g, allowed %g)", i, got[i], want[i], diff, tol*scale[i])
		}
	}
}

// TestMul checks the kernels Mul uses (the micro-kernel, and the dot
// kernel for a narrow last panel) and the portable micro-kernel alone
// through the whole product against the plain loop, over shapes with every
// remainder of the tile sizes, empty and single ones included.
func TestMul(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	type kernels struct {
		kern microKernel
		tail tailKernel
	}
	impls := map[string]kernels{"portable": {kernelGo, nil}, "runtime": {kernel, tailDot}}
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 130} {
		for _, d := range []int{0, 1, 2, 3, 7, 8, 9, 64, 65} {
			for _, r := range []int{0, 1, 2, 7, 8, 9, 10, 16, 17} {
				x, w, bias := randSlice(rng, n*d), randSlice(rng, r*d), randSlice(rng, r)
				for _, withBias := range []bool{false, true} {
					b := bias
					if !withBias {
						b = nil
					}
					want, scale := refMulT(x, n, d, w, r, b)
					for name, impl := range impls {
						t.Run(fmt.Sprintf("%s/n=%d/d=%d/r=%d/bias=%v", name, n, d, r, withBias), func(t *testing.T) {
							got := make([]float64, n*r)
							for i := range got {
								got[i] = math.NaN() // every output must be written
							}
							PackT(w, r, d, b).mul(got, x, n, impl.kern, impl.tail)
							checkClose(t, got, want, scale, d)
						})
					}
				}
			}
		}
	}
}

// TestMulLargeChunks covers products whose rows span several chunks.
func TestMulLargeChunks(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	n, d, r := 1003, 300, 13
	x, w, bias := randSlice(rng, n*d), randSlice(rng, r*d), randSlice(rng, r)
	want, scale := refMulT(x, n, d, w, r, bias)
	got := make([]float64, n*r)
	PackT(w, r, d, bias).Mul(got, x, n)
	checkClose(t, got, want, scale, d)
}

// TestPack checks that packing W^T from a d x r matrix equals packing W.
func TestPack(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ r, d int }{{0, 0}, {1, 1}, {9, 5}, {16, 64}, {3, 17}} {
		w := randSlice(rng, c.r*c.d)
		wt := make([]float64, len(w))
		for j := 0; j < c.r; j++ {
			for k := 0; k < c.d; k++ {
				wt[k*c.r+j] = w[j*c.d+k]
			}
		}
		bias := randSlice(rng, c.r)
		a, b := PackT(w, c.r, c.d, bias), Pack(wt, c.d, c.r, bias)
		if a.Rows() != c.r || a.Depth() != c.d || fmt.Sprint(a.panels, a.bias) != fmt.Sprint(b.panels, b.bias) {
			t.Errorf("r=%d d=%d: Pack and PackT differ", c.r, c.d)
		}
	}
}

// tileCase is one micro-kernel call on random data: depth k, row stride
// lda, output row stride ldc and valid columns cols.
type tileCase struct{ k, lda, ldc, cols int }

func tileCases() []tileCase {
	var cs []tileCase
	for _, k := range []int{0, 1, 2, 5, 64, 257} {
		for _, lda := range []int{k, k + 3} {
			for _, cols := range []int{1, 2, 5, nr} {
				cs = append(cs, tileCase{k, max(lda, 1), nr + 3, cols}, tileCase{k, max(lda, 1), cols, cols})
			}
		}
	}
	return cs
}

// checkKernel runs kern and kernelGo on the same tile and checks that kern
// writes exactly the valid part of c, within rounding of the portable sums.
func checkKernel(t *testing.T, name string, kern microKernel) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range tileCases() {
		a, b, bias := randSlice(rng, mr*c.lda), randSlice(rng, c.k*nr), randSlice(rng, nr)
		size := (mr-1)*c.ldc + c.cols
		got, want := make([]float64, size+nr), make([]float64, size+nr)
		for i := range got {
			got[i], want[i] = math.NaN(), math.NaN()
		}
		kern(c.k, a, c.lda, b, bias, got, c.ldc, c.cols)
		kernelGo(c.k, a, c.lda, b, bias, want, c.ldc, c.cols)
		for idx := range want {
			i, j := idx/c.ldc, idx%c.ldc
			if i >= mr || j >= c.cols {
				if !math.IsNaN(got[idx]) {
					t.Fatalf("%s %+v: wrote element %d outside the tile", name, c, idx)
				}
				continue
			}
			s := math.Abs(bias[j])
			for p := 0; p < c.k; p++ {
				s += math.Abs(a[i*c.lda+p] * b[p*nr+j])
			}
			if math.Abs(got[idx]-want[idx]) > float64(c.k+2)*0x1p-52*s || math.IsNaN(got[idx]) {
				t.Fatalf("%s %+v: element (%d,%d) %v, portable %v", name, c, i, j, got[idx], want[idx])
			}
		}
	}
}

// TestKernelAgainstPortable checks the micro-kernel Mul uses against the
// portable one, including what it leaves untouched.
func TestKernelAgainstPortable(t *testing.T) {
	t.Parallel()
	checkKernel(t, "runtime", kernel)
}

// TestMulPanics checks that short slices are caught before any work.
func TestMulPanics(t *testing.T) {
	t.Parallel()
	w := PackT(make([]float64, 6), 2, 3, nil)
	for name, f := range map[string]func(){
		"short x":    func() { w.Mul(make([]float64, 4), make([]float64, 5), 2) },
		"short dst":  func() { w.Mul(make([]float64, 3), make([]float64, 6), 2) },
		"short bias": func() { PackT(make([]float64, 6), 2, 3, []float64{1}) },
		"short pack": func() { PackT(make([]float64, 5), 2, 3, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

func BenchmarkMul(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, c := range []struct{ n, d, r int }{{1000, 64, 10}, {1000, 64, 16}, {1000, 64, 500}} {
		x, w := randSlice(rng, c.n*c.d), PackT(randSlice(rng, c.r*c.d), c.r, c.d, randSlice(rng, c.r))
		dst := make([]float64, c.n*c.r)
		b.Run(fmt.Sprintf("n=%d/d=%d/r=%d", c.n, c.d, c.r), func(b *testing.B) {
			for range b.N {
				w.Mul(dst, x, c.n)
			}
		})
	}
}
