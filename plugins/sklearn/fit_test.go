package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/arthost/arthost/plugins/sklearn/internal/model"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fitReference is what make_fixtures.py stored: training rows (standardised
// x, raw x_raw), labels, and sklearn's fitted parameters.
type fitReference map[string]json.RawMessage

type lrRef struct {
	Coef       [][]float64 `json:"coef"`
	Intercept  []float64   `json:"intercept"`
	C          float64     `json:"C"`
	MultiClass string      `json:"multi_class"`
}

func loadEstimator(t *testing.T, name string) *estimator {
	t.Helper()
	e := newEstimator()
	if _, err := e.Load(context.Background(), sdk.LoadRequest{ModelPath: filepath.Join("testdata", "models", name+".json")}); err != nil {
		t.Fatal(err)
	}
	return e
}

func readFitRef(t *testing.T, ds string) (fitReference, [][]float64, []int) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "fit", ds+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref fitReference
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	var x [][]float64
	var y []int
	_ = json.Unmarshal(ref["x"], &x)
	_ = json.Unmarshal(ref["y"], &y)
	return ref, x, y
}

func fitRequest(x [][]float64, y []int, k int, opts map[string]string) sdk.FitRequest {
	xt := tensor.FromFloat64(flat(x), len(x), len(x[0]))
	idx := make([]int64, len(y))
	for i, c := range y {
		idx[i] = int64(c)
	}
	labels, err := tensor.NormalizeLabels(tensor.FromInt64(idx, len(y)), len(y), k)
	if err != nil {
		panic(err)
	}
	return sdk.FitRequest{X: xt, Y: labels, Options: *sdk.NewOptions(opts)}
}

// TestFitLogisticMatchesSklearn refits LogisticRegression in Go and compares
// the parameters with sklearn's lbfgs fit at tol=1e-12.
func TestFitLogisticMatchesSklearn(t *testing.T) {
	for _, ds := range []string{"iris", "breast_cancer"} {
		ref, x, y := readFitRef(t, ds)
		for _, mc := range []string{"multinomial", "ovr"} {
			for _, c := range []string{"1.0", "0.1"} {
				var want lrRef
				if err := json.Unmarshal(ref["lr_"+mc+"_C"+c], &want); err != nil {
					t.Fatal(err)
				}
				t.Run(ds+"/"+mc+"/C="+c, func(t *testing.T) {
					e := loadEstimator(t, ds+"__lr_ovr")
					k := e.m.NumClasses()
					req := fitRequest(x, y, k, map[string]string{"C": c, "multi_class": mc, "tol": "1e-9", "max_iter": "10000"})
					var last sdk.FitProgress
					if err := e.Fit(context.Background(), req, func(p sdk.FitProgress) { last = p }); err != nil {
						t.Fatal(err)
					}
					if last.Accuracy < 0.9 {
						t.Errorf("training accuracy %v", last.Accuracy)
					}
					coef, icpt := model.Final(e.m).(*model.Logistic).Params()
					worst := 0.0
					for i, v := range flat(want.Coef) {
						worst = math.Max(worst, math.Abs(coef[i]-v)/math.Max(1, math.Abs(v)))
					}
					for i, v := range want.Intercept {
						worst = math.Max(worst, math.Abs(icpt[i]-v)/math.Max(1, math.Abs(v)))
					}
					if len(coef) != len(flat(want.Coef)) || worst > 1e-5 {
						t.Errorf("max relative parameter difference from sklearn %.3g (want <= 1e-5), %d coefficients vs %d", worst, len(coef), len(flat(want.Coef)))
					}
				})
			}
		}
	}
}

func TestFitGaussianNBMatchesSklearn(t *testing.T) {
	for _, ds := range []string{"iris", "breast_cancer"} {
		ref, _, y := readFitRef(t, ds)
		var x [][]float64
		_ = json.Unmarshal(ref["x_raw"], &x)
		var want struct {
			Theta      [][]float64 `json:"theta"`
			Var        [][]float64 `json:"var"`
			ClassPrior []float64   `json:"class_prior"`
		}
		_ = json.Unmarshal(ref["gnb"], &want)
		e := loadEstimator(t, ds+"__gaussian_nb")
		if err := e.Fit(context.Background(), fitRequest(x, y, e.m.NumClasses(), nil), func(sdk.FitProgress) {}); err != nil {
			t.Fatal(err)
		}
		theta, vr, prior := model.Final(e.m).(*model.GaussianNB).Params()
		for name, pair := range map[string][2][]float64{"theta": {theta, flat(want.Theta)}, "var": {vr, flat(want.Var)}, "prior": {prior, want.ClassPrior}} {
			for i := range pair[1] {
				if d := math.Abs(pair[0][i] - pair[1][i]); d > 1e-9*math.Max(1, math.Abs(pair[1][i])) {
					t.Errorf("%s %s[%d]: %v, sklearn %v", ds, name, i, pair[0][i], pair[1][i])
					break
				}
			}
		}
	}
}

func TestFitOthersUnimplemented(t *testing.T) {
	_, x, y := readFitRef(t, "iris")
	for _, name := range []string{"iris__random_forest", "iris__svc_rbf_prob", "iris__mlp_relu"} {
		e := loadEstimator(t, name)
		err := e.Fit(context.Background(), fitRequest(x, y, 3, nil), func(sdk.FitProgress) {})
		if status.Code(err) != codes.Unimplemented {
			t.Errorf("%s: fit error %v, want Unimplemented", name, err)
		}
	}
}

// TestFitPipelineRefitsScalers fits StandardScaler+LogisticRegression on raw
// rows: the Go scaler must reproduce the standardisation make_fixtures.py
// applied before sklearn's fit, so the coefficients match again.
func TestFitPipelineRefitsScalers(t *testing.T) {
	ref, _, y := readFitRef(t, "iris")
	var raw [][]float64
	_ = json.Unmarshal(ref["x_raw"], &raw)
	var want lrRef
	_ = json.Unmarshal(ref["lr_multinomial_C1.0"], &want)
	e := loadEstimator(t, "iris__pipe_std_lr")
	req := fitRequest(raw, y, 3, map[string]string{"tol": "1e-9", "max_iter": "10000", "multi_class": "multinomial"})
	if err := e.Fit(context.Background(), req, func(sdk.FitProgress) {}); err != nil {
		t.Fatal(err)
	}
	coef, _ := model.Final(e.m).(*model.Logistic).Params()
	for i, v := range flat(want.Coef) {
		if math.Abs(coef[i]-v) > 1e-5*math.Max(1, math.Abs(v)) {
			t.Fatalf("coef[%d] = %v, sklearn on standardised rows %v", i, coef[i], v)
		}
	}
	// Save writes the refitted model; loading it gives the same predictions.
	path := filepath.Join(t.TempDir(), "refit.json")
	if err := e.Save(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	e2 := newEstimator()
	if _, err := e2.Load(context.Background(), sdk.LoadRequest{ModelPath: path}); err != nil {
		t.Fatal(err)
	}
	x := tensor.FromFloat64(flat(raw[:5]), 5, 4)
	p1, _ := e.Predict(context.Background(), x, false)
	p2, _ := e2.Predict(context.Background(), x, false)
	for i := range p1.F64 {
		if p1.F64[i] != p2.F64[i] {
			t.Fatalf("saved model predicts %v, refitted %v", p2.F64, p1.F64)
		}
	}
	_ = strconv.Itoa
}
