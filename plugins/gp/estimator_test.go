package main

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// fixture is the part of testdata/fixtures.json these tests use.
type fixture struct {
	Name   string      `json:"name"`
	XTrain [][]float64 `json:"x_train"`
	YTrain []int       `json:"y_train"`
	XTest  [][]float64 `json:"x_test"`
	Proba  [][]float64 `json:"proba"`
}

func loadFixture(t *testing.T, name string) fixture {
	t.Helper()
	raw, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []fixture }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Cases {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no fixture %q", name)
	return fixture{}
}

func matrix(rows [][]float64) tensor.Tensor {
	var v []float64
	for _, r := range rows {
		v = append(v, r...)
	}
	return tensor.FromFloat64(v, len(rows), len(rows[0]))
}

func labels(y []int, k int) tensor.Labels {
	l := tensor.Labels{N: len(y), K: k, Index: y, Prob: make([]float64, len(y)*k)}
	for i, c := range y {
		l.Prob[i*k+c] = 1
	}
	return l
}

// fitted loads an unfitted estimator with opts and fits it on (x, y).
func fitted(t *testing.T, opts map[string]string, x tensor.Tensor, y []int, k int) *estimator {
	t.Helper()
	e := newEstimator()
	ctx := context.Background()
	if _, err := e.Load(ctx, sdk.LoadRequest{Options: *sdk.NewOptions(opts)}); err != nil {
		t.Fatal(err)
	}
	if err := e.Fit(ctx, sdk.FitRequest{X: x, Y: labels(y, k), Options: *sdk.NewOptions(nil)}, nil); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestUnfittedDescribe(t *testing.T) {
	e := newEstimator()
	d, err := e.Load(context.Background(), sdk.LoadRequest{Options: *sdk.NewOptions(map[string]string{"inference": "ep"})})
	if err != nil {
		t.Fatal(err)
	}
	if d.NbClasses != 0 || d.InputShape != nil || d.Info["fitted"] != "false" {
		t.Errorf("unfitted description: nb_classes %d, input shape %v, info %v", d.NbClasses, d.InputShape, d.Info)
	}
	_, err = e.Predict(context.Background(), tensor.FromFloat64([]float64{1, 2}, 1, 2), false)
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("predict before fit: %v, want FailedPrecondition", err)
	}
	d, err = e.Load(context.Background(), sdk.LoadRequest{Options: *sdk.NewOptions(map[string]string{"nb_features": "7"})})
	if err != nil || d.NbClasses != 0 || len(d.InputShape) != 1 || d.InputShape[0] != 7 {
		t.Errorf("nb_features=7: shape %v, %d classes (%v)", d.InputShape, d.NbClasses, err)
	}
}

// TestFitPredictThroughOptions: the option contract reaches scikit-learn's
// numbers (moons, RBF 1.5 * RBF(0.8), no optimisation).
func TestFitPredictThroughOptions(t *testing.T) {
	f := loadFixture(t, "moons_rbf_fixed")
	e := fitted(t, map[string]string{"kernel": "rbf", "variance": "1.5", "lengthscale": "0.8", "optimize": "false"}, matrix(f.XTrain), f.YTrain, 2)
	d, _ := e.Describe(context.Background())
	if d.NbClasses != 2 || len(d.InputShape) != 1 || d.InputShape[0] != 2 {
		t.Fatalf("description after fit: %d classes, shape %v", d.NbClasses, d.InputShape)
	}
	p, err := e.Predict(context.Background(), matrix(f.XTest), false)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range f.Proba {
		for c, want := range row {
			if got := p.F64[i*2+c]; math.Abs(got-want) > 1e-6 {
				t.Errorf("proba[%d][%d] = %v, want %v", i, c, got, want)
			}
		}
	}
	lg, err := e.Predict(context.Background(), matrix(f.XTest), true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range f.Proba {
		if lg.F64[2*i] != -lg.F64[2*i+1] || (lg.F64[2*i+1] > 0) != (p.F64[2*i+1] > 0.5) {
			t.Errorf("row %d: logits %v do not match probabilities %v", i, lg.F64[2*i:2*i+2], p.F64[2*i:2*i+2])
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	f := loadFixture(t, "iris_rbf_opt")
	for _, inf := range []string{"laplace", "ep"} {
		t.Run(inf, func(t *testing.T) {
			ctx := context.Background()
			// Optimising drives a separable class's variance to the bound,
			// which is slow with ARD: Laplace optimises an isotropic kernel,
			// EP keeps an ARD kernel fixed.
			opts := map[string]string{"inference": inf, "kernel": "matern52", "optimize": "true"}
			if inf == "ep" {
				opts["ard"], opts["white"], opts["optimize"] = "true", "0.01", "false"
			}
			e := fitted(t, opts, matrix(f.XTrain), f.YTrain, 3)
			path := filepath.Join(t.TempDir(), "model.json")
			if err := e.Save(ctx, path); err != nil {
				t.Fatal(err)
			}
			e2 := newEstimator()
			d, err := e2.Load(ctx, sdk.LoadRequest{ModelPath: path, Options: *sdk.NewOptions(nil)})
			if err != nil {
				t.Fatal(err)
			}
			if d.NbClasses != 3 || d.InputShape[0] != 4 || d.Info["inference"] != inf {
				t.Errorf("loaded description %+v", d)
			}
			x := matrix(f.XTest)
			for _, logits := range []bool{false, true} {
				a, _ := e.Predict(ctx, x, logits)
				b, err := e2.Predict(ctx, x, logits)
				if err != nil {
					t.Fatal(err)
				}
				for i := range a.F64 {
					if math.Abs(a.F64[i]-b.F64[i]) > 1e-9 {
						t.Fatalf("logits=%v: prediction %d changed from %v to %v after save/load", logits, i, a.F64[i], b.F64[i])
					}
				}
			}
			// A refit without options starts from the loaded kernel: with
			// optimisation off it reproduces the model.
			err = e2.Fit(ctx, sdk.FitRequest{X: matrix(f.XTrain), Y: labels(f.YTrain, 3), Options: *sdk.NewOptions(map[string]string{"optimize": "false"})}, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, got := e.model.Bins[0].Kernel, e2.model.Bins[2].Kernel
			if got.Family != want.Family || got.White != want.White || got.Variance != want.Variance || !slices.Equal(got.Lengthscale, want.Lengthscale) {
				t.Errorf("refit kernel %+v, want the loaded model's first kernel %+v", got, want)
			}
			if inf == "ep" {
				a, _ := e.Predict(ctx, x, false)
				b, _ := e2.Predict(ctx, x, false)
				for i := range a.F64 {
					if math.Abs(a.F64[i]-b.F64[i]) > 1e-9 {
						t.Fatalf("refit at the loaded hyperparameters: prediction %d moved from %v to %v", i, a.F64[i], b.F64[i])
					}
				}
			}
			_, err = e2.Load(ctx, sdk.LoadRequest{ModelPath: path, Options: *sdk.NewOptions(map[string]string{"inference": map[string]string{"laplace": "ep", "ep": "laplace"}[inf]})})
			if status.Code(err) != codes.InvalidArgument {
				t.Errorf("load with the other inference: %v, want InvalidArgument", err)
			}
		})
	}
}

// TestLossGradientAgainstCentralDifferences: LossGradient is the gradient
// of Loss (cross-entropy) for both inferences, binary and 3-class.
func TestLossGradientAgainstCentralDifferences(t *testing.T) {
	for _, name := range []string{"moons_rbf_fixed", "iris_rbf_opt"} {
		for _, inf := range []string{"laplace", "ep"} {
			t.Run(name+"/"+inf, func(t *testing.T) {
				ctx := context.Background()
				f := loadFixture(t, name)
				k := 2
				if strings.HasPrefix(name, "iris") {
					k = 3
				}
				e := fitted(t, map[string]string{"inference": inf, "optimize": "false", "kernel": "matern32"}, matrix(f.XTrain), f.YTrain, k)
				x := matrix(f.XTest[:4])
				y := labels([]int{0, 1, 1, 0}, k)
				g, err := e.LossGradient(ctx, x, y)
				if err != nil {
					t.Fatal(err)
				}
				d := x.Shape[1]
				for i := 0; i < 4; i++ {
					num, den := 0.0, 0.0
					for j := 0; j < d; j++ {
						const h = 1e-5
						xp, xm := x.Clone(), x.Clone()
						xp.F64[i*d+j] += h
						xm.F64[i*d+j] -= h
						lp, _ := e.Loss(ctx, xp, y)
						lm, _ := e.Loss(ctx, xm, y)
						fd := (lp.F64[i] - lm.F64[i]) / (2 * h)
						num = math.Max(num, math.Abs(fd-g.F64[i*d+j]))
						den = math.Max(den, math.Abs(fd))
					}
					if num/den > 1e-5 {
						t.Errorf("row %d: relative error %.3g", i, num/den)
					}
				}
			})
		}
	}
}

func TestClassGradientShapesAndFDOption(t *testing.T) {
	ctx := context.Background()
	f := loadFixture(t, "iris_rbf_opt")
	e := fitted(t, map[string]string{"optimize": "false"}, matrix(f.XTrain), f.YTrain, 3)
	x := matrix(f.XTest[:5]).As(tensor.Float32)
	all, err := e.ClassGradient(ctx, x, nil)
	if err != nil {
		t.Fatal(err)
	}
	if all.DType != tensor.Float32 || len(all.Shape) != 3 || all.Shape[0] != 5 || all.Shape[1] != 3 || all.Shape[2] != 4 {
		t.Fatalf("all classes: %v %v", all.DType, all.Shape)
	}
	one, err := e.ClassGradient(ctx, x, []int{0, 1, 2, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if one.Shape[1] != 1 || one.At(1*4+2) != all.At(1*12+1*4+2) {
		t.Errorf("one class per row: shape %v, value %v vs %v", one.Shape, one.At(6), all.At(18))
	}
	if _, err := e.ClassGradient(ctx, x, []int{0, 1, 3, 0, 1}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("class 3 of 3: %v, want InvalidArgument", err)
	}
	sum := 0.0 // probabilities sum to one, so their gradients sum to zero
	for c := 0; c < 3; c++ {
		sum += all.At(c*4 + 1)
	}
	if math.Abs(sum) > 1e-6 {
		t.Errorf("class gradients sum to %v, want 0", sum)
	}
	fdOpt := fitted(t, map[string]string{"optimize": "false", "gradient": "finite-difference"}, matrix(f.XTrain), f.YTrain, 3)
	if d, _ := fdOpt.Describe(ctx); !d.GradientsEstimated {
		t.Error("gradient=finite-difference: GradientsEstimated is false")
	}
	est, err := fdOpt.ClassGradient(ctx, x.As(tensor.Float64), nil)
	if err != nil {
		t.Fatal(err)
	}
	ana, _ := e.ClassGradient(ctx, x.As(tensor.Float64), nil)
	for i := range est.F64 {
		if math.Abs(est.F64[i]-ana.F64[i]) > 1e-6 {
			t.Fatalf("finite-difference option %v vs analytic %v at %d", est.F64[i], ana.F64[i], i)
		}
	}
	u, err := e.PredictUncertainty(ctx, x)
	if err != nil || u.Shape[0] != 5 || u.Shape[1] != 3 || !(u.At(0) > 0) {
		t.Errorf("uncertainty %v %v (%v)", u.Shape, u.F32, err)
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	x := tensor.New(tensor.Float64, 10, 3)
	for i := range x.F64 {
		x.F64[i] = rng.NormFloat64()
	}
	y := []int{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}
	dup := x.Clone()
	copy(dup.F64[9:12], dup.F64[0:3])
	nan := x.Clone()
	nan.F64[7] = math.NaN()
	cases := []struct {
		name string
		opts map[string]string
		x    tensor.Tensor
		y    []int
		k    int
		code codes.Code
		msg  string
	}{
		{"single class", nil, x, make([]int, 10), 1, codes.InvalidArgument, "1 class"},
		{"missing class", nil, x, y, 3, codes.InvalidArgument, "class 2 has no samples"},
		{"duplicate rows", nil, dup, y, 2, codes.InvalidArgument, "rows 0 and 3 are duplicates"},
		{"non-finite", nil, nan, y, 2, codes.InvalidArgument, "row 2 feature 1 is NaN"},
		{"ard lengthscales vs features", map[string]string{"ard": "true", "lengthscale": "1,2"}, x, y, 2, codes.InvalidArgument, "2 lengthscales for 3 features"},
		{"labels vs rows", nil, x, y[:9], 2, codes.InvalidArgument, "9 labels for 10 rows"},
		{"max_train", map[string]string{"max_train": "5"}, x, y, 2, codes.ResourceExhausted, "exceed max_train=5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEstimator()
			if _, err := e.Load(ctx, sdk.LoadRequest{Options: *sdk.NewOptions(c.opts)}); err != nil {
				t.Fatal(err)
			}
			err := e.Fit(ctx, sdk.FitRequest{X: c.x, Y: labels(c.y, c.k), Options: *sdk.NewOptions(nil)}, nil)
			if status.Code(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("got %v, want %v containing %q", err, c.code, c.msg)
			}
		})
	}
	for name, opts := range map[string]map[string]string{
		"unknown option":        {"lenghtscale": "1"},
		"bad kernel":            {"kernel": "linear"},
		"negative variance":     {"variance": "-1"},
		"ard list without ard":  {"lengthscale": "1,2"},
		"negative restarts":     {"restarts": "-1"},
		"bad gradient option":   {"gradient": "numeric"},
		"bad inference option":  {"inference": "vi"},
		"non-numeric max_train": {"max_train": "lots"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newEstimator().Load(ctx, sdk.LoadRequest{Options: *sdk.NewOptions(opts)})
			if status.Code(err) != codes.InvalidArgument {
				t.Errorf("got %v, want InvalidArgument", err)
			}
		})
	}
	e := fitted(t, map[string]string{"optimize": "false"}, x, y, 2)
	if _, err := e.Predict(ctx, tensor.New(tensor.Float64, 2, 4), false); status.Code(err) != codes.InvalidArgument {
		t.Errorf("predict with 4 features on a 3-feature model: %v", err)
	}
	if _, err := e.Loss(ctx, x, labels(y, 3)); status.Code(err) != codes.InvalidArgument {
		t.Errorf("loss with 3-class labels on a 2-class model: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"format":"arthost-gp-model","format_version":2}`), 0o600)
	if _, err := newEstimator().Load(ctx, sdk.LoadRequest{ModelPath: bad, Options: *sdk.NewOptions(nil)}); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "format_version 2") {
		t.Errorf("load of a version-2 file: %v", err)
	}
}
