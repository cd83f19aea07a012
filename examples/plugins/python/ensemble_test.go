package python

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/ensemble"
	"github.com/arthost/arthost/shared/tensor"
)

// TestMixedEnsemble puts the Python plugin and the Go linear plugin (on
// different models) in one ensemble and checks its predictions and
// gradients against the weighted sums of the members' own answers, and
// its class gradients against central differences of its predictions.
func TestMixedEnsemble(t *testing.T) {
	need(t)
	py := start(t, "pysoftmax", launcher, smallModel, false, nil)
	gol := start(t, "linear", goPlugin, otherModel, false, nil)
	// Both plugins serve the direct channel (the Python one in
	// pysoftmax/direct.py), so the hot calls below travel as frames.
	if !py.Direct() || !gol.Direct() {
		t.Fatalf("direct channel: Python %v, Go %v; want both", py.Direct(), gol.Direct())
	}
	w := []float64{0.25, 0.75}
	ens, err := ensemble.New([]host.Estimator{py, gol}, ensemble.Config{Name: "mixed", Weights: w})
	if err != nil {
		t.Fatal(err)
	}
	defer ens.Close()
	ctx := context.Background()
	x := randomX(rand.New(rand.NewPCG(5, 6)), tensor.Float64, 4, 4)
	y := tensor.FromInt64([]int64{2, 0, 1, 2}, 4)
	calls := map[string]func(e host.Estimator) (tensor.Tensor, error){
		"predict":            func(e host.Estimator) (tensor.Tensor, error) { return e.Predict(ctx, x, false) },
		"loss_gradient":      func(e host.Estimator) (tensor.Tensor, error) { return e.LossGradient(ctx, x, y) },
		"class_gradient all": func(e host.Estimator) (tensor.Tensor, error) { return e.ClassGradient(ctx, x, nil) },
		"class_gradient one": func(e host.Estimator) (tensor.Tensor, error) { return e.ClassGradient(ctx, x, []int{1}) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			got, err := call(ens)
			if err != nil {
				t.Fatal(err)
			}
			a, err := call(py)
			if err != nil {
				t.Fatal(err)
			}
			b, err := call(gol)
			if err != nil {
				t.Fatal(err)
			}
			want := tensor.New(tensor.Float64, a.Shape...)
			for i := range want.F64 {
				want.F64[i] = w[0]*a.At(i) + w[1]*b.At(i)
			}
			if err := closeTo(got, want, 1e-12); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("class_gradient vs finite differences", func(t *testing.T) {
		g, err := ens.ClassGradient(ctx, x, nil)
		if err != nil {
			t.Fatal(err)
		}
		const h = 1e-6
		n, k, d := 4, 3, 4
		for j := 0; j < d; j++ {
			xp, xm := x.Clone(), x.Clone()
			for i := 0; i < n; i++ {
				xp.F64[i*d+j] += h
				xm.F64[i*d+j] -= h
			}
			pp, err1 := ens.Predict(ctx, xp, false)
			pm, err2 := ens.Predict(ctx, xm, false)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			for i := 0; i < n; i++ {
				for c := 0; c < k; c++ {
					fd := (pp.At(i*k+c) - pm.At(i*k+c)) / (2 * h)
					an := g.At((i*k+c)*d + j)
					if math.Abs(fd-an) > 1e-7 {
						t.Errorf("row %d class %d feature %d: gradient %v, finite differences %v", i, c, j, an, fd)
					}
				}
			}
		}
	})
}
