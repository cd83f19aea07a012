package main

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/sdk/sdktest"
	"github.com/arthost/arthost/shared/tensor"
)

// digits returns the whole digits data set (1797 x 64, scaled to [0,1])
// and its labels.
func digits(t *testing.T) (tensor.Tensor, tensor.Labels) {
	x := readNPY(t, "digits_x.npy")
	y := readNPY(t, "digits_y.npy")
	idx := make([]int64, y.Len())
	for i, v := range y.F {
		idx[i] = int64(v)
	}
	l, err := tensor.NormalizeLabels(tensor.FromInt64(idx, len(idx)), len(idx), 10)
	if err != nil {
		t.Fatal(err)
	}
	return tensor.FromFloat32(x.F, x.Shape...), l
}

func accuracy(t *testing.T, e *estimator, x tensor.Tensor, y tensor.Labels) float64 {
	t.Helper()
	p, err := e.Predict(context.Background(), x, false)
	if err != nil {
		t.Fatal(err)
	}
	hits := 0
	for i, c := range y.Index {
		if argmax(p.F32[i*10:(i+1)*10]) == c {
			hits++
		}
	}
	return float64(hits) / float64(len(y.Index))
}

// TestFitMLPFromInitialWeights trains the MLP's untrained export on
// digits with Adam and SGD, then saves it and checks that the saved file
// loads back and predicts the same as the trained model in memory.
func TestFitMLPFromInitialWeights(t *testing.T) {
	ctx := context.Background()
	x, y := digits(t)
	for _, tc := range []struct {
		opts   map[string]string
		epochs int
	}{
		{map[string]string{"optimizer": "adam", "learning_rate": "0.01"}, 4},
		{map[string]string{"optimizer": "sgd", "learning_rate": "0.1", "momentum": "0.9"}, 6},
	} {
		t.Run(tc.opts["optimizer"], func(t *testing.T) {
			e := loadFixture(t, "mlp_init", nil)
			before := accuracy(t, e, x, y)
			var reports []sdk.FitProgress
			err := e.Fit(ctx, sdk.FitRequest{X: x, Y: y, Epochs: tc.epochs, BatchSize: 64, Options: *sdk.NewOptions(tc.opts)},
				func(p sdk.FitProgress) { reports = append(reports, p) })
			if err != nil {
				t.Fatal(err)
			}
			after := accuracy(t, e, x, y)
			t.Logf("accuracy %.3f -> %.3f; progress %+v", before, after, reports[len(reports)-1])
			if before > 0.3 || after < 0.9 {
				t.Errorf("accuracy %.3f before, %.3f after training: want <= 0.3 and >= 0.9", before, after)
			}
			if len(reports) != tc.epochs || reports[0].Loss <= reports[len(reports)-1].Loss {
				t.Errorf("progress reports %+v: want one per epoch with a falling loss", reports)
			}
			path := filepath.Join(t.TempDir(), "trained.onnx")
			if err := e.Save(ctx, path); err != nil {
				t.Fatal(err)
			}
			back := newEstimator()
			if _, err := back.Load(ctx, sdk.LoadRequest{ModelPath: path, Options: *sdk.NewOptions(nil)}); err != nil {
				t.Fatal(err)
			}
			p1, _ := e.Predict(ctx, x, true)
			p2, err := back.Predict(ctx, x, true)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbs(p1, p2); d > 1e-6 {
				t.Errorf("saved model predicts differently: max |diff| %g", d)
			}
		})
	}
}

func maxAbs(a, b tensor.Tensor) float64 {
	d := 0.0
	for i := range a.F32 {
		d = math.Max(d, math.Abs(float64(a.F32[i]-b.F32[i])))
	}
	return d
}

// TestFitUpdatesBatchNormRunningStats runs one full-batch step with a
// negligible learning rate on the CNN and compares the new running mean
// and variance with the batch statistics of the Conv output (read with
// Activations before training): r' = 0.9 r + 0.1 batch, variance unbiased.
func TestFitUpdatesBatchNormRunningStats(t *testing.T) {
	ctx := context.Background()
	e := loadFixture(t, "cnn", nil)
	x := fixtureInput(t, true)
	y := fixtureLabels(t)
	conv, err := e.Activations(ctx, x, "/0/Conv_output_0")
	if err != nil {
		t.Fatal(err)
	}
	g := e.m.g
	ms, _ := g.Slot("1.running_mean")
	vs, _ := g.Slot("1.running_var")
	oldMean, oldVar := g.Consts[ms].Clone(), g.Consts[vs].Clone()
	err = e.Fit(ctx, sdk.FitRequest{X: x, Y: y, Epochs: 1, BatchSize: 16,
		Options: *sdk.NewOptions(map[string]string{"optimizer": "sgd", "learning_rate": "1e-12", "momentum": "0"})}, func(sdk.FitProgress) {})
	if err != nil {
		t.Fatal(err)
	}
	g = e.m.g
	newMean, newVar := g.Consts[ms], g.Consts[vs]
	n, c, p := conv.Shape[0], conv.Shape[1], conv.Shape[2]*conv.Shape[3]
	for ch := 0; ch < c; ch++ {
		var s, ss float64
		for i := 0; i < n; i++ {
			for _, v := range conv.F32[(i*c+ch)*p : (i*c+ch+1)*p] {
				s += float64(v)
			}
		}
		mean := s / float64(n*p)
		for i := 0; i < n; i++ {
			for _, v := range conv.F32[(i*c+ch)*p : (i*c+ch+1)*p] {
				ss += (float64(v) - mean) * (float64(v) - mean)
			}
		}
		vr := ss / float64(n*p-1)
		wantM := 0.9*float64(oldMean.F[ch]) + 0.1*mean
		wantV := 0.9*float64(oldVar.F[ch]) + 0.1*vr
		if math.Abs(float64(newMean.F[ch])-wantM) > 1e-4*(1+math.Abs(wantM)) || math.Abs(float64(newVar.F[ch])-wantV) > 1e-4*(1+wantV) {
			t.Errorf("channel %d: running mean %g var %g, want %g %g", ch, newMean.F[ch], newVar.F[ch], wantM, wantV)
		}
	}
	if acc := accuracy(t, e, x, y); acc < 0.9 {
		t.Errorf("accuracy %.3f after a negligible step", acc)
	}
}

func TestFitErrors(t *testing.T) {
	ctx := context.Background()
	x := tensor.New(tensor.Float32, 2, 64)
	y, _ := tensor.NormalizeLabels(tensor.FromInt64([]int64{1, 2}, 2), 2, 10)
	if err := newEstimator().Fit(ctx, sdk.FitRequest{X: x, Y: y}, func(sdk.FitProgress) {}); err == nil {
		t.Error("fit without a model succeeded")
	}
	e := loadFixture(t, "mlp", nil)
	before := e.m.g.Consts
	for _, opts := range []map[string]string{
		{"optimizer": "rmsprop"}, {"learning_rate": "-1"}, {"momentum": "1"}, {"no_such_option": "1"},
	} {
		if err := e.Fit(ctx, sdk.FitRequest{X: x, Y: y, Options: *sdk.NewOptions(opts)}, func(sdk.FitProgress) {}); err == nil {
			t.Errorf("options %v accepted", opts)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := e.Fit(cctx, sdk.FitRequest{X: x, Y: y}, func(sdk.FitProgress) {}); err == nil {
		t.Error("cancelled fit succeeded")
	}
	for i, c := range e.m.g.Consts {
		if c != before[i] {
			t.Fatalf("a failed fit changed constant %d", i)
		}
	}
	if err := e.Save(ctx, ""); err == nil {
		t.Error("save to an empty path succeeded")
	}
	if err := e.Save(ctx, filepath.Join(t.TempDir(), "no", "such", "dir", "m.onnx")); err == nil {
		t.Error("save into a missing directory succeeded")
	}
}

// TestFitConformance runs the contract checks including one Fit epoch and
// Save, on a model with batch normalisation.
func TestFitConformance(t *testing.T) {
	sdktest.RunEstimator(t, newEstimator(), sdktest.Config{ModelPath: filepath.Join("testdata", "cnn.onnx"), Fit: true})
}
