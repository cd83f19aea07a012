package gpc

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/kernel"
)

// blobs returns n points in d dimensions around k centres, with labels.
func blobs(rng *rand.Rand, n, d, k int) (*mat.Dense, []int) {
	x := mat.NewDense(n, d, nil)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		y[i] = i % k
		for j := 0; j < d; j++ {
			c := 0.0
			if j%k == y[i] {
				c = 1.5
			}
			x.Set(i, j, c+rng.NormFloat64())
		}
	}
	return x, y
}

type gradCase struct {
	name    string
	kern    kernel.Kernel
	inf     Inference
	classes int
}

func gradCases() []gradCase {
	var cs []gradCase
	kerns := map[string]kernel.Kernel{
		"rbf":            {Family: kernel.RBF, Variance: 2, Lengthscale: []float64{1.3}},
		"rbf_ard":        {Family: kernel.RBF, Variance: 1.5, Lengthscale: []float64{0.9, 1.4, 2.0}},
		"matern32":       {Family: kernel.Matern32, Variance: 1.7, Lengthscale: []float64{1.1}},
		"matern32_cw":    {Family: kernel.Matern32, Variance: 1.2, Lengthscale: []float64{1.0, 1.5, 0.8}, Constant: 0.4, White: 0.05},
		"matern52":       {Family: kernel.Matern52, Variance: 2.5, Lengthscale: []float64{1.2}},
		"matern52_ard_c": {Family: kernel.Matern52, Variance: 1.0, Lengthscale: []float64{0.7, 1.3, 1.9}, Constant: 0.3},
	}
	for _, name := range []string{"rbf", "rbf_ard", "matern32", "matern32_cw", "matern52", "matern52_ard_c"} {
		for _, inf := range []Inference{Laplace, EP} {
			for _, k := range []int{2, 3} {
				cs = append(cs, gradCase{fmt.Sprintf("%s/%s/classes=%d", name, inf, k), kerns[name], inf, k})
			}
		}
	}
	return cs
}

// relErr is max|a-b| / max|b|: the error relative to the gradient's scale.
func relErr(a, b []float64) float64 {
	num, den := 0.0, 0.0
	for i := range a {
		num = math.Max(num, math.Abs(a[i]-b[i]))
		den = math.Max(den, math.Abs(b[i]))
	}
	return num / den
}

// TestProbaGradAgainstCentralDifferences: the analytic input gradient of
// every class probability agrees with gonum's central differences within
// a relative error of 1e-5, for both inferences, every kernel, binary and
// one-vs-rest.
func TestProbaGradAgainstCentralDifferences(t *testing.T) {
	for _, c := range gradCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(1, 2))
			x, y := blobs(rng, 40, 3, c.classes)
			m, err := Fit(context.Background(), Config{Kernel: c.kern, Inference: c.inf}, x, y, c.classes, nil)
			if err != nil {
				t.Fatal(err)
			}
			for p := 0; p < 5; p++ {
				pt := []float64{rng.NormFloat64() + 0.5, rng.NormFloat64(), rng.NormFloat64() + 0.3}
				_, got := m.ProbaGrad(pt)
				want := mat.NewDense(c.classes, 3, nil)
				fd.Jacobian(want, func(dst, xv []float64) {
					copy(dst, m.Proba(mat.NewDense(1, 3, append([]float64(nil), xv...))))
				}, pt, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-5})
				if e := relErr(got, want.RawMatrix().Data); e > 1e-5 {
					t.Errorf("point %v: relative error %.3g\nanalytic %v\ncentral  %v", pt, e, got, want.RawMatrix().Data)
				}
				_, fdg := m.ProbaGradFD(pt)
				if e := relErr(fdg, got); e > 1e-5 {
					t.Errorf("point %v: finite-difference option off by %.3g", pt, e)
				}
			}
		})
	}
}

// TestLMLGradAgainstCentralDifferences: the analytic gradient of the log
// marginal likelihood with respect to the log hyperparameters agrees with
// central differences of the LML (inference re-run at each step).
func TestLMLGradAgainstCentralDifferences(t *testing.T) {
	for _, c := range gradCases() {
		if c.classes != 2 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(3, 4))
			x, y := blobs(rng, 30, 3, 2)
			target := make([]float64, len(y))
			for i, v := range y {
				target[i] = float64(v)
			}
			_, got, err := fitBinary(c.inf, c.kern, x, target, true)
			if err != nil {
				t.Fatal(err)
			}
			want := fd.Gradient(nil, func(theta []float64) float64 {
				b, _, err := fitBinary(c.inf, c.kern.WithTheta(theta), x, target, false)
				if err != nil {
					t.Fatal(err)
				}
				return b.LML
			}, c.kern.Theta(), &fd.Settings{Formula: fd.Central, Step: 1e-4})
			if e := relErr(got, want); e > 1e-5 {
				t.Errorf("relative error %.3g\nanalytic %v\ncentral  %v", e, got, want)
			}
		})
	}
}

// TestBatchMatchesSinglePoint: the chunked, concurrent batch prediction
// (triangular solve of many columns) gives the single-point values of the
// gradient path, across chunk boundaries.
func TestBatchMatchesSinglePoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	x, y := blobs(rng, 50, 3, 3)
	k := kernel.Kernel{Family: kernel.Matern52, Variance: 1.4, Lengthscale: []float64{1.2}, White: 0.02}
	m, err := Fit(context.Background(), Config{Kernel: k, Inference: EP}, x, y, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	xs, _ := blobs(rng, 300, 3, 3)
	mean, variance := m.Latent(xs)
	p := m.Proba(xs)
	dm, dv := make([]float64, 3), make([]float64, 3)
	for i := 0; i < 300; i++ {
		for c, b := range m.Bins {
			mu, v := b.post.Grad(xs.RawRowView(i), dm, dv)
			if math.Abs(mu-mean[i*3+c]) > 1e-12 || math.Abs(v-variance[i*3+c]) > 1e-12 {
				t.Fatalf("row %d class %d: batch (%v, %v), single (%v, %v)", i, c, mean[i*3+c], variance[i*3+c], mu, v)
			}
		}
		prob, _ := m.ProbaGrad(xs.RawRowView(i))
		for c := range prob {
			if math.Abs(prob[c]-p[i*3+c]) > 1e-12 {
				t.Fatalf("row %d class %d: proba %v vs %v", i, c, p[i*3+c], prob[c])
			}
		}
	}
}
