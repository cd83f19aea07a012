package main

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/arthost/arthost/internal/npyfile"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// digitsCNN is the bundled digits CNN that host/attack's PGD benchmark
// attacks through the plugin boundary.
var digitsCNN = filepath.Join("..", "..", "examples", "digits", "cnn.onnx")

// pgdSteps, pgdEps and pgdEpsStep are host/attack's BenchmarkPGD settings:
// 20 steps of 0.01 inside an L-inf ball of 0.1.
const (
	pgdSteps   = 20
	pgdEps     = 0.1
	pgdEpsStep = 0.01
)

// BenchmarkPGD times 20 PGD steps on the digits CNN in this process, the
// in-process side of host/attack's BenchmarkPGD (model=cnn, side=remote
// and gradonly), which the plugin may not import. It mirrors that attack:
// per step the loss gradient, a signed step of pgdEpsStep, projection
// onto the pgdEps L-inf ball around x and clipping to the model's [0, 1]
// input range, all in float32 on the estimator directly.
func BenchmarkPGD(b *testing.B) {
	e := newEstimator()
	if _, err := e.Load(context.Background(), sdk.LoadRequest{ModelPath: digitsCNN}); err != nil {
		b.Fatalf("load %s: %v", digitsCNN, err)
	}
	arrays, err := npyfile.ReadNPZ(filepath.Join("..", "..", "examples", "digits", "digits_test.npz"))
	if err != nil {
		b.Fatal(err)
	}
	xAll, yAll := arrays["x"].As(tensor.Float32), arrays["y"]
	for _, n := range []int{64, 256} {
		x := xAll.Slice(0, n)
		y, err := tensor.NormalizeLabels(yAll.Slice(0, n), n, e.m.nbClasses)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("model=cnn/batch="+strconv.Itoa(n)+"/side=inprocess", func(b *testing.B) {
			ctx := context.Background()
			adv := tensor.New(tensor.Float32, x.Shape...)
			for b.Loop() {
				copy(adv.F32, x.F32)
				for range pgdSteps {
					g, err := e.LossGradient(ctx, adv, y)
					if err != nil {
						b.Fatal(err)
					}
					pgdStep(adv.F32, x.F32, g.F32)
				}
			}
			b.ReportMetric(float64(pgdSteps*b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}

// pgdStep moves adv by pgdEpsStep in the sign of g, then projects it onto
// the pgdEps L-inf ball around x and into [0, 1].
func pgdStep(adv, x, g []float32) {
	for i, v := range adv {
		switch {
		case g[i] > 0:
			v += pgdEpsStep
		case g[i] < 0:
			v -= pgdEpsStep
		}
		v = min(max(v, x[i]-pgdEps, 0), x[i]+pgdEps, 1)
		adv[i] = v
	}
}
