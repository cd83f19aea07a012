package main

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// gradBenchModels are the models the gradient benchmarks time: the
// fixture models of bench/grad_run.sh, and the digits CNN that the host's
// PGD benchmark attacks through the plugin boundary (issue 10).
var gradBenchModels = []struct{ name, path string }{
	{"mlp", filepath.Join("testdata", "mlp.onnx")},
	{"cnn", filepath.Join("testdata", "cnn.onnx")},
	{"cnn2", filepath.Join("testdata", "cnn2.onnx")},
	{"digits", digitsCNN},
}

// benchGradient times one gradient method on gradBenchModels at batch
// 1, 64 and 256 (in process, float32, one thread unless
// $ARTHOST_BENCH_THREADS says otherwise), reporting process CPU time per
// call as cpu-ns/op for bench/grad_run.sh.
func benchGradient(b *testing.B, call func(e *estimator, x tensor.Tensor, y tensor.Labels) error) {
	threads := os.Getenv("ARTHOST_BENCH_THREADS")
	if threads == "" {
		threads = "1"
	}
	for _, bm := range gradBenchModels {
		name := bm.name
		e := newEstimator()
		d, err := e.Load(context.Background(), sdk.LoadRequest{ModelPath: bm.path,
			Options: *sdk.NewOptions(map[string]string{"threads": threads})})
		if err != nil {
			b.Fatalf("load %s: %v", name, err)
		}
		for _, n := range []int{1, 64, 256} {
			x := tensor.New(tensor.Float32, append([]int{n}, d.InputShape...)...)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range x.F32 {
				x.F32[i] = r.Float32()
			}
			idx := make([]int64, n)
			for i := range idx {
				idx[i] = int64(i % d.NbClasses)
			}
			y, _ := tensor.NormalizeLabels(tensor.FromInt64(idx, n), n, d.NbClasses)
			b.Run("model="+name+"/batch="+strconv.Itoa(n), func(b *testing.B) {
				c0 := cpuTime()
				for b.Loop() {
					if err := call(e, x, y); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// BenchmarkLossGradient times LossGradient (one forward, one backward).
func BenchmarkLossGradient(b *testing.B) {
	benchGradient(b, func(e *estimator, x tensor.Tensor, y tensor.Labels) error {
		_, err := e.LossGradient(context.Background(), x, y)
		return err
	})
}

// BenchmarkClassGradient times the all-class ClassGradient (one batched
// forward and backward over batch x classes rows).
func BenchmarkClassGradient(b *testing.B) {
	benchGradient(b, func(e *estimator, x tensor.Tensor, _ tensor.Labels) error {
		_, err := e.ClassGradient(context.Background(), x, nil)
		return err
	})
}
