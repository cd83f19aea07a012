package main

import (
	"context"

	"github.com/arthost/arthost/plugins/sklearn/internal/model"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// Loss is the per-sample cross-entropy: of predict_proba for models with
// probabilities (computed from log-probabilities where the model has them,
// clipped to [eps, 1-eps] for trees), of softmax(decision_function) for
// models without.
func (e *estimator) Loss(_ context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error) {
	xs, n, err := e.input("loss", x)
	if err != nil {
		return tensor.Tensor{}, err
	}
	if err := e.checkLabels("loss", y, n); err != nil {
		return tensor.Tensor{}, err
	}
	d, k := e.m.NumFeatures(), e.m.NumClasses()
	out := make([]float64, n)
	if e.m.GradKind() == model.GradNone {
		p := make([]float64, n*k)
		e.m.Proba(xs, n, p)
		for i := range out {
			out[i] = model.ProbaLoss(p[i*k:(i+1)*k], y.Prob[i*k:(i+1)*k])
		}
		return output(out, x.DType, n), nil
	}
	for i := range out {
		out[i] = model.LossGrad(e.m, xs[i*d:(i+1)*d], y.Prob[i*k:(i+1)*k], &e.scratch, nil)
	}
	return output(out, x.DType, n), nil
}

func (e *estimator) checkLabels(method string, y tensor.Labels, n int) error {
	k := e.m.NumClasses()
	if y.N != n || y.K != k || len(y.Prob) != n*k {
		return sdk.InvalidArgumentf("%s sklearn-%s: labels for %d rows of %d classes, want %d of %d", method, model.Family(e.m), y.N, y.K, n, k)
	}
	return nil
}

func (e *estimator) noGradient(method string) error {
	return sdk.Unimplementedf("%s sklearn-%s: the model has no gradient (piecewise constant); use a query-based estimate", method, model.Family(e.m))
}

// LossGradient is d Loss_i / d x_i, row by row.
func (e *estimator) LossGradient(_ context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error) {
	xs, n, err := e.input("loss-gradient", x)
	if err != nil {
		return tensor.Tensor{}, err
	}
	if err := e.checkLabels("loss-gradient", y, n); err != nil {
		return tensor.Tensor{}, err
	}
	if e.m.GradKind() == model.GradNone {
		return tensor.Tensor{}, e.noGradient("loss-gradient")
	}
	d, k := e.m.NumFeatures(), e.m.NumClasses()
	out := make([]float64, n*d)
	for i := 0; i < n; i++ {
		model.LossGrad(e.m, xs[i*d:(i+1)*d], y.Prob[i*k:(i+1)*k], &e.scratch, out[i*d:(i+1)*d])
	}
	return output(out, x.DType, x.Shape...), nil
}

// ClassGradient is the gradient of predict_proba (of the decision function
// for models without probabilities) for every class, or for one class per
// row.
func (e *estimator) ClassGradient(_ context.Context, x tensor.Tensor, classes []int) (tensor.Tensor, error) {
	xs, n, err := e.input("class-gradient", x)
	if err != nil {
		return tensor.Tensor{}, err
	}
	if e.m.GradKind() == model.GradNone {
		return tensor.Tensor{}, e.noGradient("class-gradient")
	}
	d, k := e.m.NumFeatures(), e.m.NumClasses()
	if classes != nil && len(classes) != n {
		return tensor.Tensor{}, sdk.InvalidArgumentf("class-gradient sklearn-%s: %d classes for %d rows", model.Family(e.m), len(classes), n)
	}
	for i, c := range classes {
		if c < 0 || c >= k {
			return tensor.Tensor{}, sdk.InvalidArgumentf("class-gradient sklearn-%s: row %d: class %d out of range [0,%d)", model.Family(e.m), i, c, k)
		}
	}
	jac := make([]float64, k*d)
	if classes == nil {
		out := make([]float64, n*k*d)
		for i := 0; i < n; i++ {
			model.ClassJacobian(e.m, xs[i*d:(i+1)*d], &e.scratch, out[i*k*d:(i+1)*k*d])
		}
		return output(out, x.DType, n, k, d), nil
	}
	out := make([]float64, n*d)
	for i := 0; i < n; i++ {
		model.ClassJacobian(e.m, xs[i*d:(i+1)*d], &e.scratch, jac)
		copy(out[i*d:(i+1)*d], jac[classes[i]*d:(classes[i]+1)*d])
	}
	return output(out, x.DType, n, 1, d), nil
}
