package attack_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/attack"
	"github.com/arthost/arthost/host/internal/hosttest"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/shared/tensor"
)

// pgdSteps is the work of one benchmark op: 20 PGD steps, the unit of the
// issue's ART timing (17 ms at batch 64, 63 ms at batch 256 for the
// digits CNN in PyTorch).
const pgdSteps = 20

func benchPGD(b *testing.B, est host.Estimator, x, y tensor.Tensor) {
	a := mustNew(b, "pgd", attack.Params{Eps: 0.1, EpsStep: 0.01, MaxIter: pgdSteps})
	ctx := context.Background()
	cpu := selfCPU()
	for b.Loop() {
		if _, err := a.Generate(ctx, est, x, y); err != nil {
			b.Fatal(err)
		}
	}
	reportSteps(b, cpu)
}

// reportSteps adds steps/s, and the processor time this (host) process
// spent per op: on a loaded machine it varies less than the wall-clock
// time, and the plugin's share is the same on the remote and gradonly
// sides, so their difference is the attack's own work.
func reportSteps(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(pgdSteps*b.N)/b.Elapsed().Seconds(), "steps/s")
	if runtime.GOOS == "linux" {
		b.ReportMetric(float64((selfCPU()-cpu).Microseconds())/1000/float64(b.N), "host-cpu-ms/op")
	}
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPGD times 20 PGD steps through the plugin boundary (remote)
// and on the same model in this process (inprocess), side by side:
// a 784-feature 10-class softmax model in the linear plugin and in the
// test; and the digits CNN in the ONNX plugin when it has gradients (its
// in-process side lives with the plugin, which the host may not import).
// make bench prints the remote/inprocess ratio.
func BenchmarkPGD(b *testing.B) {
	m, path := balanced(b, 784, 10, 7)
	r := hosttest.StartLinear(b, pluginDir, remote.Config{ModelPath: path})
	for _, n := range []int{64, 256} {
		rows, _ := data(n, 784, 3)
		x, y := flat(rows, tensor.Float32), tensor.New(tensor.Int64, n)
		b.Run(fmt.Sprintf("model=linear784/batch=%d/side=inprocess", n), func(b *testing.B) { benchPGD(b, m, x, y) })
		b.Run(fmt.Sprintf("model=linear784/batch=%d/side=remote", n), func(b *testing.B) { benchPGD(b, r, x, y) })
	}
	for _, n := range []int{64, 256} {
		b.Run(fmt.Sprintf("model=cnn/batch=%d/side=remote", n), func(b *testing.B) {
			est := startCNN(b, true)
			x, y := digits(b)
			benchPGD(b, est, x.Slice(0, n), y.Slice(0, n))
		})
		// The plugin's 20 loss-gradient calls alone: what PGD costs beyond
		// them is the attack's own work on the host.
		b.Run(fmt.Sprintf("model=cnn/batch=%d/side=gradonly", n), func(b *testing.B) {
			est := startCNN(b, true)
			x, y := digits(b)
			x, y = x.Slice(0, n), y.Slice(0, n)
			ctx := context.Background()
			cpu := selfCPU()
			for b.Loop() {
				for range pgdSteps {
					if _, err := est.LossGradient(ctx, x, y); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportSteps(b, cpu)
		})
	}
}

// constGrad is a model whose loss gradient costs nothing: the same
// prepared tensor every call (the attack only reads it), with random signs
// as a real gradient has, so branches in the attack mispredict as they
// would.
type constGrad struct {
	*softmax
	g tensor.Tensor
}

func (m *constGrad) LossGradient(_ context.Context, x, _ tensor.Tensor) (tensor.Tensor, error) {
	if m.g.DType != x.DType || !slices.Equal(m.g.Shape, x.Shape) {
		rng := rand.New(rand.NewPCG(11, 12))
		g := make([]float64, x.Len())
		for i := range g {
			g[i] = rng.NormFloat64()
		}
		m.g = tensor.FromFloat64(g, x.Shape...).As(x.DType)
	}
	return m.g, nil
}

// BenchmarkPGDOverhead times the host side of 20 PGD steps on digits-sized
// input (1, 8, 8): an in-process model whose gradient costs nothing, so
// what remains is the attack's own work (normalise, step, clip, project,
// tensor conversions).
func BenchmarkPGDOverhead(b *testing.B) {
	m := &constGrad{softmax: loadSmall()}
	m.w = make([][]float64, 10)
	for c := range m.w {
		m.w[c] = make([]float64, 64)
	}
	for _, n := range []int{64, 256} {
		rows, _ := data(n, 64, 3)
		x := flat(rows, tensor.Float32)
		x.Shape = []int{n, 1, 8, 8}
		y := tensor.New(tensor.Int64, n)
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			a := mustNew(b, "pgd", attack.Params{Eps: 0.1, EpsStep: 0.01, MaxIter: pgdSteps})
			cpu := selfCPU()
			for b.Loop() {
				if _, err := a.Generate(context.Background(), m, x, y); err != nil {
					b.Fatal(err)
				}
			}
			reportSteps(b, cpu)
		})
	}
}
