package latent

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/kernel"
)

func randomCov(rng *rand.Rand, n int) *mat.SymDense {
	a := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	k := mat.NewSymDense(n, nil)
	k.SymOuterK(1, a)
	// Both triangles, as kernel.Gram stores them.
	raw := k.RawSymmetric()
	for i := 0; i < n; i++ {
		for j := 0; j < i; j++ {
			raw.Data[i*raw.Stride+j] = raw.Data[j*raw.Stride+i]
		}
	}
	return k
}

// TestFactorBIdentity: L L' = I + S K S, and R = S B^-1 S satisfies
// B (S^-1 R S^-1) = I.
// Sizes beyond 64 take the tiled transposition and the recursive
// factorisation and solves.
func TestFactorBIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{6, 150} {
		s := []float64{0.5, 0.1, 0.3, 0.45, 0.2, 0.05}
		for len(s) < n {
			s = append(s, 0.5*rng.Float64())
		}
		t.Run(fmt.Sprint(n), func(t *testing.T) { testFactorB(t, randomCov(rng, n), s) })
	}
}

func testFactorB(t *testing.T, k *mat.SymDense, s []float64) {
	n := len(s)
	l, err := FactorB(k, s)
	if err != nil {
		t.Fatal(err)
	}
	lm := mat.NewTriDense(n, mat.Lower, nil)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			lm.SetTri(i, j, l.Data[i*l.Stride+j])
		}
	}
	var got mat.Dense
	got.Mul(lm, lm.T())
	b := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			v := s[i] * k.At(i, j) * s[j]
			if i == j {
				v++
			}
			b.Set(i, j, v)
		}
	}
	if !mat.EqualApprox(&got, b, 1e-12) {
		t.Errorf("L L' != B")
	}
	r := BInvScaled(l, s)
	inv := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			inv.Set(i, j, r.At(i, j)/(s[i]*s[j]))
		}
	}
	var id mat.Dense
	id.Mul(b, inv)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(id.At(i, j)-want) > 1e-9 {
				t.Fatalf("B B^-1 [%d,%d] = %v", i, j, id.At(i, j))
			}
		}
	}
}

func TestFactorBRefusesNaN(t *testing.T) {
	k := mat.NewSymDense(2, []float64{1, 0, 0, math.NaN()})
	if _, err := FactorB(k, []float64{1, 1}); err == nil {
		t.Error("NaN kernel matrix factorised")
	}
}

// TestMeanVarMatchesSinglePoint: the batched prediction (vectorised kernel
// rows, one blocked triangular solve per chunk, concurrent workers) agrees
// with the single-point path of Grad (a forward substitution per point)
// across a chunk boundary, for a factor large enough to recurse.
func TestMeanVarMatchesSinglePoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const n, d, m = 150, 2, predictChunk + 77
	x, xs := mat.NewDense(n, d, nil), mat.NewDense(m, d, nil)
	for _, g := range []*mat.Dense{x, xs} {
		r, _ := g.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < d; j++ {
				g.Set(i, j, 2*rng.NormFloat64())
			}
		}
	}
	kern := kernel.Kernel{Family: kernel.RBF, Variance: 2, Lengthscale: []float64{0.8}}
	s, alpha := make([]float64, n), make([]float64, n)
	for i := range s {
		s[i], alpha[i] = 0.5*rng.Float64(), rng.NormFloat64()
	}
	l, err := FactorB(kern.Gram(x), s)
	if err != nil {
		t.Fatal(err)
	}
	p := &Posterior{Kernel: kern, X: x, Alpha: alpha, S: s, L: l}
	mean, variance := p.MeanVar(xs)
	dm, dv := make([]float64, d), make([]float64, d)
	for i := 0; i < m; i++ {
		mu, v := p.Grad(xs.RawRowView(i), dm, dv)
		if math.Abs(mu-mean[i]) > 1e-12 || math.Abs(v-variance[i]) > 1e-12 {
			t.Fatalf("row %d: batch (%v, %v), single (%v, %v)", i, mean[i], variance[i], mu, v)
		}
	}
}

// TestVectorSolves compares SolveL and SolveLT with gonum's Dtrsv.
func TestVectorSolves(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{1, 3, 4, 7, 150} {
		s := make([]float64, n)
		for i := range s {
			s[i] = 0.5 * rng.Float64()
		}
		l, err := FactorB(randomCov(rng, n), s)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			trans blas.Transpose
			solve func(blas64.Triangular, []float64)
		}{{"L", blas.NoTrans, SolveL}, {"L'", blas.Trans, SolveLT}} {
			v := make([]float64, n)
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			want := append([]float64(nil), v...)
			blas64.Trsv(c.trans, l, blas64.Vector{N: n, Inc: 1, Data: want})
			c.solve(l, v)
			for i := range v {
				if math.Abs(v[i]-want[i]) > 1e-12*(1+math.Abs(want[i])) {
					t.Fatalf("n=%d %s: x[%d] = %v, want %v", n, c.name, i, v[i], want[i])
				}
			}
		}
	}
}
