package attack

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/tensor"
)

// PGD is ART's ProjectedGradientDescent (its NumPy implementation):
// MaxIter FGSM steps of EpsStep, each clipped and projected on the eps ball
// around x, optionally from a random start; with NumRandomInit > 1 the
// later restarts replace the first one's examples where they succeed.
type PGD struct{ p Params }

// Name returns "pgd".
func (a *PGD) Name() string { return "pgd" }

// Generate crafts adversarial examples for x, batch by batch. Labels
// default to the model's predictions; they are used as given (ART's PGD
// does not renormalise them).
func (a *PGD) Generate(ctx context.Context, est host.Estimator, x, y tensor.Tensor) (Result, error) {
	if err := host.Require(est.Describe(), "loss_gradient"); err != nil {
		return Result{}, fmt.Errorf("attack pgd: %w", err)
	}
	o, err := newOracle("pgd", est, x)
	if err != nil {
		return Result{}, err
	}
	x0 := o.s.rows(x)
	l, err := o.labels(ctx, x0, y, a.p.Targeted)
	if err != nil {
		return Result{}, err
	}
	adv := append([]float64(nil), x0...)
	rng := newRand(a.p.Seed)
	f := o.s.feat
	bs := batches(len(x0)/f, a.p.BatchSize)
	steps, step := len(bs)*max(1, a.p.NumRandomInit)*a.p.MaxIter, 0
	for _, b := range bs {
		lo, hi := b[0]*f, b[1]*f
		if err := a.batch(ctx, o, rng, x0[lo:hi], adv[lo:hi], l.slice(b[0], b[1]), &step, steps); err != nil {
			return Result{}, err
		}
	}
	return Result{Adv: o.s.tensor(adv), Queries: o.queries}, nil
}

// batch attacks one batch x0 into adv: each restart runs MaxIter steps;
// the first restart's result is kept, later ones replace it where they
// succeed (ART's compute_success_array).
func (a *PGD) batch(ctx context.Context, o *oracle, rng *rand.Rand, x0, adv []float64, l labels, step *int, steps int) error {
	f := o.s.feat
	for r := range max(1, a.p.NumRandomInit) {
		cur := x0
		for it := range a.p.MaxIter {
			var err error
			cur, err = compute(ctx, o, a.p, rng, cur, x0, l, a.p.EpsStep, a.p.NumRandomInit > 0 && it == 0, 0)
			if err != nil {
				return err
			}
			*step++
			report(a.p, "pgd", *step, steps)
		}
		if r == 0 {
			copy(adv, cur)
			continue
		}
		ok, err := success(ctx, o, x0, cur, l, a.p.Targeted)
		if err != nil {
			return err
		}
		for i, v := range ok {
			if v {
				copy(adv[i*f:(i+1)*f], cur[i*f:(i+1)*f])
			}
		}
	}
	return nil
}
