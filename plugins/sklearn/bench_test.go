package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// benchRows is the batch the speed target is stated for.
const benchRows = 1000

// benchFamilies are the fixtures benchmarked, one per family; the Python
// driver in bench/ times scikit-learn on the same models and rows.
var benchFamilies = []string{
	"digits__lr_ovr", "digits__lr_multinomial", "digits__linear_svc", "digits__svc_linear",
	"digits__svc_poly", "digits__svc_rbf", "digits__svc_sigmoid", "digits__svc_rbf_prob",
	"digits__decision_tree", "digits__extra_tree", "digits__random_forest", "digits__extra_trees",
	"digits__bagging_tree", "digits__adaboost_samme", "digits__adaboost_sammer", "digits__gradient_boosting",
	"breast_cancer__gradient_boosting_exp", "digits__gaussian_nb", "digits__mlp_relu", "digits__pipe_std_lr",
}

// benchInput tiles a fixture's held-out rows to benchRows rows, as
// bench/compare.py does.
func benchInput(b *testing.B, name string) tensor.Tensor {
	data, err := os.ReadFile(filepath.Join("testdata", "expect", name+".json"))
	if err != nil {
		b.Fatal(err)
	}
	var e expectation
	if err := json.Unmarshal(data, &e); err != nil {
		b.Fatal(err)
	}
	d := len(e.X[0])
	x := make([]float64, 0, benchRows*d)
	for i := 0; i < benchRows; i++ {
		x = append(x, e.X[i%len(e.X)]...)
	}
	return tensor.FromFloat64(x, benchRows, d)
}

// BenchmarkPredictProba times Predict (predict_proba, or one-hot predict
// for models without probabilities) of 1000 float64 rows, in process. Next
// to ns/op (the mean) it reports ms/call-median, the median of the single
// calls, which is what bench/compare.py measures for scikit-learn: on a
// busy machine the mean also counts the calls the OS interrupted.
func BenchmarkPredictProba(b *testing.B) {
	ctx := context.Background()
	for _, name := range benchFamilies {
		b.Run("family="+name, func(b *testing.B) {
			e := newEstimator()
			if _, err := e.Load(ctx, sdk.LoadRequest{ModelPath: filepath.Join("testdata", "models", name+".json")}); err != nil {
				b.Fatal(err)
			}
			x := benchInput(b, name)
			calls := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				if _, err := e.Predict(ctx, x, false); err != nil {
					b.Fatal(err)
				}
				calls = append(calls, time.Since(t0))
			}
			slices.Sort(calls)
			b.ReportMetric(float64(calls[len(calls)/2])/1e6, "ms/call-median")
		})
	}
}
