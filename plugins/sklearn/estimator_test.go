package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestDescribe(t *testing.T) {
	ctx := context.Background()
	if _, err := newEstimator().Describe(ctx); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("describe before load: %v, want FailedPrecondition", err)
	}
	cases := []struct {
		model, family string
		features, k   int
		withheld      []sdk.Capability
	}{
		{"iris__pipe_std_lr", "LogisticRegression", 4, 3, nil},
		{"digits__svc_rbf_prob", "SVC", 64, 10, []sdk.Capability{sdk.CapFit}},
		{"breast_cancer__random_forest", "RandomForestClassifier", 30, 2, []sdk.Capability{sdk.CapLossGradient, sdk.CapClassGradient, sdk.CapFit}},
		{"iris__extra_tree", "ExtraTreeClassifier", 4, 3, []sdk.Capability{sdk.CapLossGradient, sdk.CapClassGradient, sdk.CapFit}},
	}
	for _, c := range cases {
		e := loadEstimator(t, c.model)
		d, err := e.Describe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d.Framework != "scikit-learn" || d.Info["family"] != c.family || !slices.Equal(d.InputShape, []int{c.features}) ||
			d.NbClasses != c.k || d.Output != sdk.OutputProbabilities || !slices.Equal(d.Withheld, c.withheld) {
			t.Errorf("%s: description %+v", c.model, d)
		}
	}
}

func TestPredictOutputs(t *testing.T) {
	ctx := context.Background()
	x := tensor.FromFloat32([]float32{5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3}, 2, 4)

	// No predict_proba: one-hot of predict, as ART.
	e := loadEstimator(t, "iris__pipe_std_linear_svc")
	y, err := e.Predict(ctx, x, false)
	if err != nil {
		t.Fatal(err)
	}
	if y.DType != tensor.Float32 || !slices.Equal(y.Shape, []int{2, 3}) || !slices.Equal(y.F32, []float32{1, 0, 0, 0, 0, 1}) {
		t.Errorf("one-hot predict: %v %v %v", y.DType, y.Shape, y.F32)
	}
	logits, err := e.Predict(ctx, x, true)
	if err != nil || !slices.Equal(logits.Shape, []int{2, 3}) {
		t.Errorf("logits: %v %v", logits.Shape, err)
	}

	// No decision_function: logits is InvalidArgument.
	for _, name := range []string{"iris__gaussian_nb", "iris__mlp_relu", "iris__random_forest"} {
		_, err := loadEstimator(t, name).Predict(ctx, x, true)
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "decision_function") {
			t.Errorf("%s logits: %v, want InvalidArgument naming decision_function", name, err)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte(`{"format":"arthost-sklearn","version":9}`), 0o600)
	cases := []struct {
		name string
		req  sdk.LoadRequest
		code codes.Code
		want string
	}{
		{"nothing", sdk.LoadRequest{}, codes.InvalidArgument, "no model path"},
		{"missing file", sdk.LoadRequest{ModelPath: filepath.Join(dir, "none.json")}, codes.InvalidArgument, "no such file"},
		{"bad version", sdk.LoadRequest{ModelPath: bad}, codes.InvalidArgument, "version 9 not supported"},
		{"bytes", sdk.LoadRequest{ModelBytes: []byte(`[1]`)}, codes.InvalidArgument, "JSON array"},
		{"unknown option", sdk.LoadRequest{ModelPath: "testdata/models/iris__svc_rbf.json", Options: *sdk.NewOptions(map[string]string{"outptu": "x"})}, codes.InvalidArgument, "unknown option outptu"},
		{"decision without one", sdk.LoadRequest{ModelPath: "testdata/models/iris__gaussian_nb.json", Options: *sdk.NewOptions(map[string]string{"output": "decision"})}, codes.InvalidArgument, "has no decision_function"},
	}
	for _, c := range cases {
		_, err := newEstimator().Load(ctx, c.req)
		if status.Code(err) != c.code || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %v containing %q", c.name, err, c.code, c.want)
		}
	}
}

func TestClassGradientSelection(t *testing.T) {
	ctx := context.Background()
	e := loadEstimator(t, "iris__svc_sigmoid_prob")
	x := tensor.FromFloat64([]float64{0.1, -0.3, 0.5, 0.2, -1, 0.4, -0.2, 0.3}, 2, 4)
	all, err := e.ClassGradient(ctx, x, nil)
	if err != nil || !slices.Equal(all.Shape, []int{2, 3, 4}) {
		t.Fatalf("all classes: %v %v", all.Shape, err)
	}
	one, err := e.ClassGradient(ctx, x, []int{2, 0})
	if err != nil || !slices.Equal(one.Shape, []int{2, 1, 4}) {
		t.Fatalf("one class per row: %v %v", one.Shape, err)
	}
	if !slices.Equal(one.F64[:4], all.F64[8:12]) || !slices.Equal(one.F64[4:], all.F64[12:16]) {
		t.Errorf("selected rows differ from the full gradient")
	}
	if _, err := e.ClassGradient(ctx, x, []int{3, 0}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("class 3: %v, want InvalidArgument", err)
	}
	rf := loadEstimator(t, "iris__random_forest")
	if _, err := rf.ClassGradient(ctx, x, nil); status.Code(err) != codes.Unimplemented {
		t.Errorf("forest class gradient: %v, want Unimplemented", err)
	}
}
