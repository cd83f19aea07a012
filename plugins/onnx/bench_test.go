package main

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// benchModels lists the models BenchmarkPredict times: the two fixture
// models, plus resnet18.onnx from $ARTHOST_BENCH_MODELS when set (written
// by fixtures/make_fixtures.py --bench DIR; too large to commit).
func benchModels() []string {
	paths := []string{"testdata/mlp.onnx", "testdata/cnn.onnx"}
	if dir := os.Getenv("ARTHOST_BENCH_MODELS"); dir != "" {
		paths = append(paths, filepath.Join(dir, "resnet18.onnx"))
	}
	return paths
}

// BenchmarkPredict times Predict (in process, float32, one thread unless
// $ARTHOST_BENCH_THREADS says otherwise) at batch 1, 64 and 256 (1 and
// 16 for the ResNet-18).
func BenchmarkPredict(b *testing.B) {
	threads := os.Getenv("ARTHOST_BENCH_THREADS")
	if threads == "" {
		threads = "1"
	}
	for _, path := range benchModels() {
		name := filepath.Base(path)
		name = name[:len(name)-len(filepath.Ext(name))]
		e := newEstimator()
		d, err := e.Load(context.Background(), sdk.LoadRequest{ModelPath: path,
			Options: *sdk.NewOptions(map[string]string{"threads": threads})})
		if err != nil {
			b.Fatalf("load %s: %v", path, err)
		}
		batches := []int{1, 64, 256}
		if name == "resnet18" {
			// Batch 256 of a ResNet-18 takes seconds per call; 16 shows
			// the per-sample cost of large convolutions.
			batches = []int{1, 16}
		}
		for _, n := range batches {
			x := tensor.New(tensor.Float32, append([]int{n}, d.InputShape...)...)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range x.F32 {
				x.F32[i] = r.Float32()
			}
			b.Run("model="+name+"/batch="+strconv.Itoa(n), func(b *testing.B) {
				c0 := cpuTime()
				for b.Loop() {
					if _, err := e.Predict(context.Background(), x, false); err != nil {
						b.Fatal(err)
					}
				}
				// Process CPU time is robust to other load on a shared
				// machine; bench/run.sh compares it with torch's and ORT's.
				b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// cpuTime returns the user+system CPU time of the process in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
