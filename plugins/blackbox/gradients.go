package main

import (
	"context"

	"github.com/arthost/arthost/plugins/blackbox/internal/accounting"
	"github.com/arthost/arthost/plugins/blackbox/internal/nes"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// ClassGradient estimates d output_c / d x with NES (gradient=nes): the
// output is what Predict returns without logits. All classes share one
// set of nes_samples queries per row.
func (e *estimator) ClassGradient(ctx context.Context, x tensor.Tensor, classes []int) (tensor.Tensor, error) {
	cfg, acct, grad, err := e.state("class-gradient")
	if err != nil {
		return tensor.Tensor{}, err
	}
	if grad == nil {
		return tensor.Tensor{}, sdk.Unimplementedf("class-gradient: the source has no gradient; set gradient=nes for an estimate")
	}
	n, d, k := x.Shape[0], tensor.NumElements(x.Shape[1:]), cfg.nbClasses
	if classes != nil && len(classes) != n {
		return tensor.Tensor{}, sdk.InvalidArgumentf("class-gradient: %d classes for %d rows", len(classes), n)
	}
	for i, c := range classes {
		if c < 0 || c >= k {
			return tensor.Tensor{}, sdk.InvalidArgumentf("class-gradient: row %d class %d out of range [0,%d)", i, c, k)
		}
	}
	f := func(ctx context.Context, pts []float64, m int) ([]float64, error) {
		return e.scores(ctx, cfg, acct, points(pts, m, x))
	}
	jac, err := grad.Jacobian(ctx, x.Float64s(), n, d, k, f)
	if err != nil {
		return tensor.Tensor{}, err
	}
	if classes == nil {
		return asDType(jac, x.DType, append([]int{n, k}, x.Shape[1:]...)...), nil
	}
	out := make([]float64, 0, n*d)
	for i, c := range classes {
		out = append(out, jac[(i*k+c)*d:(i*k+c+1)*d]...)
	}
	return asDType(out, x.DType, append([]int{n, 1}, x.Shape[1:]...)...), nil
}

// LossGradient estimates the gradient of each row's cross-entropy against
// its own label with NES (gradient=nes), spending nes_samples queries per
// row.
func (e *estimator) LossGradient(ctx context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error) {
	cfg, acct, grad, err := e.state("loss-gradient")
	if err != nil {
		return tensor.Tensor{}, err
	}
	if grad == nil {
		return tensor.Tensor{}, sdk.Unimplementedf("loss-gradient: the source has no gradient; set gradient=nes for an estimate")
	}
	n, d := x.Shape[0], tensor.NumElements(x.Shape[1:])
	jac, err := grad.Jacobian(ctx, x.Float64s(), n, d, 1, lossFunc(e, cfg, acct, y, grad, x))
	if err != nil {
		return tensor.Tensor{}, err
	}
	return asDType(jac, x.DType, x.Shape...), nil
}

// lossFunc evaluates each perturbed point's loss with its row's label:
// point j perturbs row j / nes_samples.
func lossFunc(e *estimator, cfg config, acct *accounting.Accountant, y tensor.Labels, grad *nes.Estimator, x tensor.Tensor) nes.Func {
	k, S := cfg.nbClasses, grad.Samples()
	return func(ctx context.Context, pts []float64, m int) ([]float64, error) {
		s, err := e.scores(ctx, cfg, acct, points(pts, m, x))
		if err != nil {
			return nil, err
		}
		loss := make([]float64, m)
		for j := range loss {
			row := j / S
			loss[j] = crossEntropy(s[j*k:(j+1)*k], y.Prob[row*k:(row+1)*k], cfg.outputKind)
		}
		return loss, nil
	}
}

// points makes a query batch of m perturbed points shaped like x's rows,
// in x's dtype: a float32 caller's points are sent as float32.
func points(pts []float64, m int, x tensor.Tensor) tensor.Tensor {
	return tensor.FromFloat64(pts, append([]int{m}, x.Shape[1:]...)...).As(x.DType)
}
