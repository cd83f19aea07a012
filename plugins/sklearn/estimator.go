package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/arthost/arthost/plugins/sklearn/internal/model"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// maxExportBytes caps the export file Load reads: the largest real exports
// (big forests) are a few hundred MiB of JSON.
const maxExportBytes = 1 << 30

// estimator serves one exported scikit-learn model.
type estimator struct {
	exp *model.Export
	m   model.Model
	// decisionOutput makes Predict return the decision function (option
	// output=decision) for models without probabilities.
	decisionOutput bool
	desc           sdk.Description
	scratch        model.Scratch
}

var (
	_ sdk.Estimator       = (*estimator)(nil)
	_ sdk.Losser          = (*estimator)(nil)
	_ sdk.LossGradienter  = (*estimator)(nil)
	_ sdk.ClassGradienter = (*estimator)(nil)
	_ sdk.Fitter          = (*estimator)(nil)
	_ sdk.Saver           = (*estimator)(nil)
)

func newEstimator() *estimator { return &estimator{} }

// Load reads an arthost-sklearn export from ModelBytes or ModelPath.
// Option output=auto|decision: with decision, Predict returns the decision
// function (the default is predict_proba, or one-hot labels as ART does).
func (e *estimator) Load(_ context.Context, req sdk.LoadRequest) (sdk.Description, error) {
	opts := optionsOf(req.Options)
	output := opts.Enum("output", "auto", "auto", "decision")
	if err := opts.Err(); err != nil {
		return sdk.Description{}, err
	}
	data := req.ModelBytes
	src := "model bytes"
	if len(data) == 0 {
		if req.ModelPath == "" {
			return sdk.Description{}, sdk.InvalidArgumentf("load sklearn: no model path or bytes")
		}
		src = req.ModelPath
		st, err := os.Stat(req.ModelPath)
		if err != nil {
			return sdk.Description{}, sdk.InvalidArgumentf("load sklearn: %v", err)
		}
		if st.Size() > maxExportBytes {
			return sdk.Description{}, sdk.ResourceExhaustedf("load sklearn %q: %d bytes, more than %d", src, st.Size(), maxExportBytes)
		}
		if data, err = os.ReadFile(req.ModelPath); err != nil {
			return sdk.Description{}, sdk.InvalidArgumentf("load sklearn: %v", err)
		}
	}
	exp, err := model.Load(data)
	if err != nil {
		return sdk.Description{}, sdk.InvalidArgumentf("load sklearn %q: %v", src, err)
	}
	if output == "decision" && exp.Model.DecisionWidth() == 0 {
		return sdk.Description{}, sdk.InvalidArgumentf("load sklearn: option output=decision: %s has no decision_function", model.Family(exp.Model))
	}
	e.exp, e.m, e.decisionOutput = exp, exp.Model, output == "decision"
	e.desc = e.describe()
	return e.desc, nil
}

func (e *estimator) describe() sdk.Description {
	m := e.m
	fam := model.Family(m)
	classes, _ := json.Marshal(e.exp.Classes)
	d := sdk.Description{
		Name:        "sklearn-" + fam,
		Version:     e.exp.SklearnVersion,
		Framework:   "scikit-learn",
		InputShape:  []int{m.NumFeatures()},
		NbClasses:   m.NumClasses(),
		Output:      sdk.OutputProbabilities,
		NativeDType: tensor.Float64,
		Info: map[string]string{
			"family":          fam,
			"sklearn_version": e.exp.SklearnVersion,
			"classes":         string(classes),
		},
	}
	if steps := model.Steps(m); len(steps) > 0 {
		d.Info["pipeline"] = strings.Join(append(steps, fam), " -> ")
	}
	switch {
	case e.decisionOutput:
		d.Output = sdk.OutputLogits
		d.Info["output"] = "decision_function"
	case m.HasProba():
		d.Info["output"] = "predict_proba"
	default:
		d.Info["output"] = "one-hot predict (no predict_proba)"
	}
	switch m.GradKind() {
	case model.GradNone:
		d.Withheld = append(d.Withheld, sdk.CapLossGradient, sdk.CapClassGradient)
		d.Info["gradients"] = "none: " + fam + " is piecewise constant (trees); use a query-based estimate"
		d.Info["loss"] = "cross-entropy of predict_proba clipped to [eps, 1-eps]"
	case model.GradLogits:
		d.Info["gradients"] = "class_gradient differentiates decision_function (one-hot labels have zero gradient)"
		d.Info["loss"] = "cross-entropy of softmax(decision_function)"
	default:
		d.Info["gradients"] = "analytic, of predict_proba"
		d.Info["loss"] = "cross-entropy of predict_proba"
	}
	if !canFit(m) {
		d.Withheld = append(d.Withheld, sdk.CapFit)
	}
	return d
}

func (e *estimator) Describe(context.Context) (sdk.Description, error) {
	if e.m == nil {
		return sdk.Description{}, sdk.FailedPreconditionf("describe sklearn: no model loaded")
	}
	return e.desc, nil
}

// input returns x as float64 rows and the row count.
func (e *estimator) input(method string, x tensor.Tensor) ([]float64, int, error) {
	if e.m == nil {
		return nil, 0, sdk.FailedPreconditionf("%s sklearn: no model loaded", method)
	}
	d := e.m.NumFeatures()
	if !x.IsFloat() || len(x.Shape) != 2 || x.Shape[1] != d || x.Len() != x.Shape[0]*d {
		return nil, 0, sdk.InvalidArgumentf("%s sklearn-%s: input %v %v, want float (n, %d)", method, model.Family(e.m), x.DType, x.Shape, d)
	}
	return x.Float64s(), x.Shape[0], nil
}

// output wraps v with the given shape in the dtype of the input.
func output(v []float64, dt tensor.DType, shape ...int) tensor.Tensor {
	t := tensor.FromFloat64(v, shape...)
	if dt == tensor.Float32 {
		return t.As(tensor.Float32)
	}
	return t
}

// Predict returns predict_proba, one-hot predictions for models without
// probabilities, or the decision function (n, NbClasses) with logits.
func (e *estimator) Predict(_ context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error) {
	xs, n, err := e.input("predict", x)
	if err != nil {
		return tensor.Tensor{}, err
	}
	k := e.m.NumClasses()
	out := make([]float64, n*k)
	switch {
	case logits || e.decisionOutput:
		if e.m.DecisionWidth() == 0 {
			return tensor.Tensor{}, sdk.InvalidArgumentf("predict sklearn-%s: logits: the model has no decision_function", model.Family(e.m))
		}
		parallelRows(n, func(lo, hi int) { e.m.Logits(xs[lo*e.m.NumFeatures():], hi-lo, out[lo*k:hi*k]) })
	case e.m.HasProba():
		parallelRows(n, func(lo, hi int) { e.m.Proba(xs[lo*e.m.NumFeatures():], hi-lo, out[lo*k:hi*k]) })
	default:
		lab := make([]int, n)
		parallelRows(n, func(lo, hi int) { e.m.Predict(xs[lo*e.m.NumFeatures():], hi-lo, lab[lo:hi]) })
		for i, c := range lab {
			out[i*k+c] = 1
		}
	}
	return output(out, x.DType, n, k), nil
}

// Save writes the (possibly refitted) model as an export.
func (e *estimator) Save(_ context.Context, path string) error {
	if e.m == nil {
		return sdk.FailedPreconditionf("save sklearn: no model loaded")
	}
	data, err := model.Marshal(e.exp)
	if err != nil {
		return fmt.Errorf("save sklearn-%s: %w", model.Family(e.m), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".arthost-sklearn-*")
	if err != nil {
		return sdk.InvalidArgumentf("save sklearn: %v", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save sklearn %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save sklearn %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return sdk.InvalidArgumentf("save sklearn: %v", err)
	}
	return nil
}

// optionsOf returns usable options for a possibly zero Options value.
func optionsOf(o sdk.Options) *sdk.Options {
	if o.Raw() == nil {
		return sdk.NewOptions(nil)
	}
	return &o
}
