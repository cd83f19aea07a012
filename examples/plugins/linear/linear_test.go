package main

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/arthost/arthost/internal/testbin"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/sdk/sdktest"
	"github.com/arthost/arthost/shared/tensor"
)

var pluginPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "linear-test-")
	if err != nil {
		panic(err)
	}
	bins, err := testbin.Build(dir, map[string]string{"arthost-plugin-linear": "examples/plugins/linear"})
	if err != nil {
		panic(err)
	}
	pluginPath = bins["arthost-plugin-linear"]
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestConformance runs the SDK's contract checks against the real plugin
// process, including class gradients against finite differences.
func TestConformance(t *testing.T) {
	sdktest.RunPlugin(t, pluginPath, sdktest.Config{ModelPath: "testdata/small.json", Fit: true, GradientTolerance: 1e-6})
}

func TestConformanceInProcess(t *testing.T) {
	sdktest.RunEstimator(t, &linear{}, sdktest.Config{ModelPath: "testdata/small.json", GradientTolerance: 1e-6})
}

func load(t *testing.T) *linear {
	t.Helper()
	l := &linear{}
	if _, err := l.Load(context.Background(), sdk.LoadRequest{ModelPath: "testdata/small.json", Options: *sdk.NewOptions(nil)}); err != nil {
		t.Fatal(err)
	}
	return l
}

func randomInput(n, d int, seed uint64) tensor.Tensor {
	rng := rand.New(rand.NewPCG(seed, 0))
	x := tensor.New(tensor.Float64, n, d)
	for i := range x.F64 {
		x.F64[i] = rng.Float64()
	}
	return x
}

// TestLossGradientFiniteDifferences checks W^T(p - q) against central
// differences of the cross-entropy in float64.
func TestLossGradientFiniteDifferences(t *testing.T) {
	l := load(t)
	ctx := context.Background()
	x := randomInput(5, 4, 3)
	y, err := tensor.NormalizeLabels(tensor.FromInt64([]int64{0, 1, 2, 1, 0}, 5), 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	g, err := l.LossGradient(ctx, x, y)
	if err != nil {
		t.Fatal(err)
	}
	const h = 1e-6
	for i := range x.F64 {
		xp, xm := x.Clone(), x.Clone()
		xp.F64[i] += h
		xm.F64[i] -= h
		lp, _ := l.Loss(ctx, xp, y)
		lm, _ := l.Loss(ctx, xm, y)
		row := i / 4
		fd := (lp.F64[row] - lm.F64[row]) / (2 * h)
		if rel := math.Abs(fd-g.F64[i]) / math.Max(1e-8, math.Abs(fd)); rel > 1e-6 && math.Abs(fd-g.F64[i]) > 1e-9 {
			t.Errorf("element %d: analytic %v, finite difference %v", i, g.F64[i], fd)
		}
	}
}

// TestClassGradientFiniteDifferences checks p_c (W_c - sum_j p_j W_j).
func TestClassGradientFiniteDifferences(t *testing.T) {
	l := load(t)
	ctx := context.Background()
	x := randomInput(2, 4, 5)
	g, err := l.ClassGradient(ctx, x, nil)
	if err != nil {
		t.Fatal(err)
	}
	const h = 1e-6
	for i := 0; i < 2; i++ {
		for j := 0; j < 4; j++ {
			xp, xm := x.Clone(), x.Clone()
			xp.F64[i*4+j] += h
			xm.F64[i*4+j] -= h
			pp, _ := l.Predict(ctx, xp, false)
			pm, _ := l.Predict(ctx, xm, false)
			for c := 0; c < 3; c++ {
				fd := (pp.F64[i*3+c] - pm.F64[i*3+c]) / (2 * h)
				if got := g.F64[(i*3+c)*4+j]; math.Abs(fd-got) > 1e-8 {
					t.Errorf("row %d class %d feature %d: analytic %v, finite difference %v", i, c, j, got, fd)
				}
			}
		}
	}
}

// TestFitLearnsAndSaves trains on separable data, then checks the saved
// file predicts exactly what the trained model does.
func TestFitLearnsAndSaves(t *testing.T) {
	l := load(t)
	ctx := context.Background()
	n := 300
	x := randomInput(n, 4, 11)
	idx := make([]int64, n)
	for i := 0; i < n; i++ {
		f := x.F64[i*4:]
		switch {
		case f[0] > 0.5 && f[1] > 0.5:
			idx[i] = 0
		case f[0] > 0.5:
			idx[i] = 1
		default:
			idx[i] = 2
		}
	}
	y, err := tensor.NormalizeLabels(tensor.FromInt64(idx, n), n, 3)
	if err != nil {
		t.Fatal(err)
	}
	var last sdk.FitProgress
	err = l.Fit(ctx, sdk.FitRequest{X: x, Y: y, Epochs: 200, BatchSize: 32, Options: *sdk.NewOptions(map[string]string{"lr": "0.5"})},
		func(p sdk.FitProgress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	if last.Accuracy < 0.9 {
		t.Fatalf("training accuracy %.3f after %d epochs, want >= 0.9", last.Accuracy, last.Epoch)
	}
	path := filepath.Join(t.TempDir(), "trained.json")
	if err := l.Save(ctx, path); err != nil {
		t.Fatal(err)
	}
	reloaded := &linear{}
	if _, err := reloaded.Load(ctx, sdk.LoadRequest{ModelPath: path, Options: *sdk.NewOptions(nil)}); err != nil {
		t.Fatal(err)
	}
	a, _ := l.Predict(ctx, x, false)
	b, _ := reloaded.Predict(ctx, x, false)
	for i := range a.F64 {
		if a.F64[i] != b.F64[i] {
			t.Fatalf("reloaded model differs at %d: %v vs %v", i, a.F64[i], b.F64[i])
		}
	}
}

func TestLoadRefusesBadModels(t *testing.T) {
	cases := map[string]string{
		"empty":           ``,
		"not json":        `{"format":`,
		"wrong format":    `{"format":"other","version":1,"weights":[[1],[2]],"bias":[0,0]}`,
		"future version":  `{"format":"arthost-linear","version":9,"weights":[[1],[2]],"bias":[0,0]}`,
		"one class":       `{"format":"arthost-linear","version":1,"weights":[[1]],"bias":[0]}`,
		"ragged weights":  `{"format":"arthost-linear","version":1,"weights":[[1,2],[2]],"bias":[0,0]}`,
		"bias length":     `{"format":"arthost-linear","version":1,"weights":[[1],[2]],"bias":[0]}`,
		"bad clip values": `{"format":"arthost-linear","version":1,"weights":[[1],[2]],"bias":[0,0],"clip_values":[1,0]}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := parseModel([]byte(body)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func FuzzParseModel(f *testing.F) {
	data, err := os.ReadFile("testdata/small.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseModel(data)
		if err != nil {
			return
		}
		x := make([]float64, m.d)
		z := make([]float64, m.k)
		m.logits(z, x)
	})
}
