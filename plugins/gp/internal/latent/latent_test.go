package latent

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
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
	return k
}

// TestFactorBIdentity: L L' = I + S K S, and R = S B^-1 S satisfies
// B (S^-1 R S^-1) = I.
func TestFactorBIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	n := 6
	k := randomCov(rng, n)
	s := []float64{0.5, 0.1, 0.3, 0.45, 0.2, 0.05}
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
