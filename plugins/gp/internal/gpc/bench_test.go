package gpc

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/arthost/arthost/plugins/gp/internal/kernel"
)

// benchData returns n training rows and labels plus 1000 test rows: the
// data set written by bench/bench.py (GP_BENCH_DATA, so both libraries time
// the same points) or, without it, two noisy moons generated here.
func benchData(b *testing.B, n int) (*mat.Dense, []int, *mat.Dense) {
	if path := os.Getenv("GP_BENCH_DATA"); path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		var d struct {
			X    [][]float64 `json:"x"`
			Y    []int       `json:"y"`
			Test [][]float64 `json:"x_test"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			b.Fatal(err)
		}
		if len(d.X) < n {
			b.Fatalf("%s has %d rows, want %d", path, len(d.X), n)
		}
		return dense(d.X[:n]), d.Y[:n], dense(d.Test)
	}
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	moon := func(m int) (*mat.Dense, []int) {
		x := mat.NewDense(m, 2, nil)
		y := make([]int, m)
		for i := 0; i < m; i++ {
			t := math.Pi * rng.Float64()
			y[i] = i % 2
			if y[i] == 0 {
				x.Set(i, 0, math.Cos(t)+0.3*rng.NormFloat64())
				x.Set(i, 1, math.Sin(t)+0.3*rng.NormFloat64())
			} else {
				x.Set(i, 0, 1-math.Cos(t)+0.3*rng.NormFloat64())
				x.Set(i, 1, 0.5-math.Sin(t)+0.3*rng.NormFloat64())
			}
		}
		return x, y
	}
	x, y := moon(n)
	xt, _ := moon(1000)
	return x, y, xt
}

// benchKernel is the kernel bench.py gives scikit-learn: 1.0 * RBF(1.0).
var benchKernel = kernel.Kernel{Family: kernel.RBF, Variance: 1, Lengthscale: []float64{1}}

// BenchmarkFit: Laplace fit at fixed hyperparameters (scikit-learn's
// optimizer=None), EP at fixed hyperparameters (no scikit-learn
// counterpart), and Laplace with LML maximisation at n=200.
func BenchmarkFit(b *testing.B) {
	for _, n := range []int{200, 1000, 2000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			x, y, _ := benchData(b, n)
			start := cpuNs()
			for b.Loop() {
				if _, err := Fit(context.Background(), Config{Kernel: benchKernel, Inference: Laplace}, x, y, 2, nil); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
	for _, n := range []int{200, 1000} {
		b.Run(fmt.Sprintf("ep/n=%d", n), func(b *testing.B) {
			x, y, _ := benchData(b, n)
			for b.Loop() {
				if _, err := Fit(context.Background(), Config{Kernel: benchKernel, Inference: EP}, x, y, 2, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("optimize/n=200", func(b *testing.B) {
		x, y, _ := benchData(b, 200)
		start := cpuNs()
		for b.Loop() {
			if _, err := Fit(context.Background(), Config{Kernel: benchKernel, Inference: Laplace, Optimize: true}, x, y, 2, nil); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, start)
	})
}

// BenchmarkPredict: probabilities for 1000 test points.
func BenchmarkPredict(b *testing.B) {
	for _, n := range []int{200, 1000, 2000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			x, y, xt := benchData(b, n)
			m, err := Fit(context.Background(), Config{Kernel: benchKernel, Inference: Laplace}, x, y, 2, nil)
			if err != nil {
				b.Fatal(err)
			}
			start := cpuNs()
			for b.Loop() {
				m.Proba(xt)
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkClassGradient: all-class input gradients at one point of a
// 64-feature, 3-class model (200 training rows), analytic against the
// finite-difference option.
func BenchmarkClassGradient(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	x, y := blobs(rng, 200, 64, 3)
	k := kernel.Kernel{Family: kernel.RBF, Variance: 1, Lengthscale: []float64{8}}
	m, err := Fit(context.Background(), Config{Kernel: k, Inference: Laplace}, x, y, 3, nil)
	if err != nil {
		b.Fatal(err)
	}
	pt := x.RawRowView(3)
	b.Run("d=64/analytic", func(b *testing.B) {
		for b.Loop() {
			m.ProbaGrad(pt)
		}
	})
	b.Run("d=64/finite-difference", func(b *testing.B) {
		for b.Loop() {
			m.ProbaGradFD(pt)
		}
	})
}

// cpuNs returns the process's user+system CPU time in nanoseconds: on a
// shared machine it measures the work done rather than the time waited.
func cpuNs() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// reportCPU adds a cpu-ns/op metric measured since start.
func reportCPU(b *testing.B, start int64) {
	b.ReportMetric(float64(cpuNs()-start)/float64(b.N), "cpu-ns/op")
}
