package laplace

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/kernel"
)

// TestModeIsStationary: at the mode f = K a, the gradient of the log
// posterior vanishes: a = y - sigmoid(f) (R&W eq. 3.17).
func TestModeIsStationary(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	n := 25
	x := mat.NewDense(n, 2, nil)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		y[i] = float64(i % 2)
		x.Set(i, 0, rng.NormFloat64()+y[i])
		x.Set(i, 1, rng.NormFloat64())
	}
	k := kernel.Kernel{Family: kernel.RBF, Variance: 2, Lengthscale: []float64{0.8}}.Gram(x)
	m, err := FindMode(k, y)
	if err != nil {
		t.Fatal(err)
	}
	f := make([]float64, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			f[i] += k.At(i, j) * m.A[j]
		}
	}
	for i := range f {
		if d := m.A[i] - (y[i] - Expit(f[i])); math.Abs(d) > 1e-7 {
			t.Errorf("row %d: a - (y - pi) = %v", i, d)
		}
	}
}
