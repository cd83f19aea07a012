package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/arthost/arthost/plugins/sklearn/internal/model"
	"github.com/arthost/arthost/sdk"
)

// canFit reports whether the final estimator can be refitted in Go.
func canFit(m model.Model) bool {
	switch model.Final(m).(type) {
	case *model.Logistic, *model.GaussianNB:
		return true
	}
	return false
}

// Fit refits LogisticRegression (lbfgs, l2) or GaussianNB in place, with
// any scalers in front of it, on the given rows. Options: C, max_iter
// (default Epochs, else 100), tol, multi_class (ovr|multinomial, default
// the loaded model's), fit_intercept for LogisticRegression;
// var_smoothing for GaussianNB. Other families answer Unimplemented.
func (e *estimator) Fit(ctx context.Context, req sdk.FitRequest, progress func(sdk.FitProgress)) error {
	if e.m == nil {
		return sdk.FailedPreconditionf("fit sklearn: no model loaded")
	}
	fam := model.Family(e.m)
	opts := optionsOf(req.Options)
	c := opts.Float("C", 1)
	maxIter := opts.Int("max_iter", max(req.Epochs, 100))
	tol := opts.Float("tol", 1e-4)
	mc := opts.Enum("multi_class", "auto", "auto", "ovr", "multinomial")
	intercept := opts.Bool("fit_intercept", true)
	smoothing := opts.Float("var_smoothing", 1e-9)
	if err := opts.Err(); err != nil {
		return err
	}
	if !canFit(e.m) {
		return sdk.Unimplementedf("fit sklearn-%s: not available in Go; refit in Python and export again", fam)
	}
	xs, n, err := e.input("fit", req.X)
	if err != nil {
		return err
	}
	if err := e.checkLabels("fit", req.Y, n); err != nil {
		return err
	}
	if c <= 0 || tol <= 0 || maxIter <= 0 || smoothing <= 0 {
		return sdk.InvalidArgumentf("fit sklearn-%s: C, tol, max_iter and var_smoothing must be positive", fam)
	}
	xt := model.FitScalers(e.m, xs, n)
	var fitErr error
	switch f := model.Final(e.m).(type) {
	case *model.Logistic:
		cfg := model.LogisticFit{C: c, MaxIter: maxIter, Tol: tol, NoIntercept: !intercept}
		if mc != "auto" {
			multi := mc == "multinomial"
			cfg.Multinomial = &multi
		}
		fitErr = f.Fit(ctx, xt, req.Y.Index, n, cfg)
	case *model.GaussianNB:
		fitErr = f.Fit(xt, req.Y.Index, n, smoothing)
	}
	msg := "fitted"
	if fitErr != nil {
		if !errors.Is(fitErr, model.ErrNotConverged) {
			return sdk.InvalidArgumentf("fit sklearn-%s: %v", fam, fitErr)
		}
		msg = fitErr.Error()
	}
	loss, acc := e.trainingScore(xs, n, req)
	progress(sdk.FitProgress{Epoch: 1, Epochs: 1, Step: 1, Steps: 1, Loss: loss, Accuracy: acc,
		Message: fmt.Sprintf("%s: %s", fam, msg)})
	return nil
}

// trainingScore is the mean cross-entropy and accuracy on the training rows.
func (e *estimator) trainingScore(xs []float64, n int, req sdk.FitRequest) (loss, acc float64) {
	d, k := e.m.NumFeatures(), e.m.NumClasses()
	lab := make([]int, n)
	e.m.Predict(xs, n, lab)
	for i := 0; i < n; i++ {
		loss += model.LossGrad(e.m, xs[i*d:(i+1)*d], req.Y.Prob[i*k:(i+1)*k], &e.scratch, nil)
		if lab[i] == req.Y.Index[i] {
			acc++
		}
	}
	return loss / float64(n), acc / float64(n)
}
