package ep

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/kernel"
)

// TestFixedPoint: at convergence every posterior marginal N(mu_i,
// Sigma_ii) has the moments of its tilted distribution (R&W eq. 3.58),
// which is what defines an EP fixed point.
func TestFixedPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	n := 25
	x := mat.NewDense(n, 2, nil)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		y[i] = float64(2*(i%2) - 1)
		x.Set(i, 0, rng.NormFloat64()+y[i])
		x.Set(i, 1, rng.NormFloat64())
	}
	k := kernel.Kernel{Family: kernel.Matern32, Variance: 2, Lengthscale: []float64{0.9}}.Gram(x)
	s, err := Run(k, y)
	if err != nil {
		t.Fatal(err)
	}
	if s.Sweeps >= MaxSweeps {
		t.Fatalf("no convergence in %d sweeps", s.Sweeps)
	}
	sigma := mat.NewSymDense(n, nil)
	mu := make([]float64, n)
	if _, err := recompute(k, s.Tau, s.Nu, sigma, mu); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		sii := sigma.At(i, i)
		tc, nc := 1/sii-s.Tau[i], mu[i]/sii-s.Nu[i]
		m, v := tilted(y[i], nc/tc, 1/tc)
		if math.Abs(m-mu[i]) > 1e-8 || math.Abs(v-sii) > 1e-8 {
			t.Errorf("site %d: tilted (%v, %v), posterior (%v, %v)", i, m, v, mu[i], sii)
		}
	}
}
