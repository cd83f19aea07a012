package attack

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/tensor"
)

// FGSM is ART's FastGradientMethod: one step of eps along the normalised
// loss gradient (its sign for norm inf), clipped to the clip values and
// projected on the eps ball; with Minimal, the smallest multiple of
// EpsStep up to Eps that changes each prediction.
type FGSM struct{ p Params }

// Name returns "fgsm".
func (a *FGSM) Name() string { return "fgsm" }

// Generate crafts adversarial examples for x. It follows ART's generate:
// labels default to the model's predictions, label rows are normalised to
// sum 1 when there are more than two classes, and with NumRandomInit > 1
// the run with the highest success rate is kept (x itself when none
// succeeds on any sample, as in ART).
func (a *FGSM) Generate(ctx context.Context, est host.Estimator, x, y tensor.Tensor) (Result, error) {
	if err := host.Require(est.Describe(), "loss_gradient"); err != nil {
		return Result{}, fmt.Errorf("attack fgsm: %w", err)
	}
	o, err := newOracle("fgsm", est, x)
	if err != nil {
		return Result{}, err
	}
	x0 := o.s.rows(x)
	l, err := o.labels(ctx, x0, y, a.p.Targeted)
	if err != nil {
		return Result{}, err
	}
	if o.k > 2 {
		normaliseRows(l.prob, o.k)
	}
	var best []float64
	if a.p.Minimal {
		best, err = a.minimal(ctx, o, x0, l)
	} else {
		best, err = a.restarts(ctx, o, x0, l)
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Adv: o.s.tensor(best), Queries: o.queries}, nil
}

func (a *FGSM) restarts(ctx context.Context, o *oracle, x0 []float64, l labels) ([]float64, error) {
	rng := newRand(a.p.Seed)
	best, rateBest := x0, 0.0
	rounds := max(1, a.p.NumRandomInit)
	for r := range rounds {
		adv, err := compute(ctx, o, a.p, rng, x0, x0, l, a.p.Eps, a.p.NumRandomInit > 0, a.p.BatchSize)
		if err != nil {
			return nil, err
		}
		if a.p.NumRandomInit > 1 {
			ok, err := success(ctx, o, x0, adv, l, a.p.Targeted)
			if err != nil {
				return nil, err
			}
			if rate := fraction(ok); rate > rateBest {
				best, rateBest = adv, rate
			}
		} else {
			best = adv
		}
		report(a.p, "fgsm", r+1, rounds)
	}
	return best, nil
}

// minimal is ART's _minimal_perturbation: per batch, one gradient at x,
// then steps eps_step, 2 eps_step, ... up to eps, each sample frozen at
// the first step that changes its prediction (reaches the target when
// targeted). There is no projection.
func (a *FGSM) minimal(ctx context.Context, o *oracle, x0 []float64, l labels) ([]float64, error) {
	adv := append([]float64(nil), x0...)
	f := o.s.feat
	bs := batches(len(x0)/f, a.p.BatchSize)
	for bi, b := range bs {
		batch, base := adv[b[0]*f:b[1]*f], x0[b[0]*f:b[1]*f]
		lb := l.slice(b[0], b[1])
		pert, err := o.gradient(ctx, make([]float64, len(batch)), batch, lb)
		if err != nil {
			return nil, err
		}
		a.orient(pert)
		o.s.direction(a.p.Norm, pert)
		active := make([]int, b[1]-b[0])
		for i := range active {
			active[i] = i
		}
		for cur := a.p.EpsStep; len(active) > 0 && cur <= a.p.Eps; cur += a.p.EpsStep {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			cand := append([]float64(nil), base...)
			o.s.step(cand, pert, cur)
			for _, i := range active {
				copy(batch[i*f:(i+1)*f], cand[i*f:(i+1)*f])
			}
			pred, err := o.classes(ctx, batch)
			if err != nil {
				return nil, err
			}
			active = active[:0]
			for i, c := range pred {
				if (c == lb.index[i]) != a.p.Targeted {
					active = append(active, i)
				}
			}
		}
		report(a.p, "fgsm", bi+1, len(bs))
	}
	return adv, nil
}

// orient turns the loss gradient into the ascent direction: negated for a
// targeted attack, which descends the loss of the target class.
func (a *FGSM) orient(g []float64) { orient(g, a.p.Targeted) }

func orient(g []float64, targeted bool) {
	if !targeted {
		return
	}
	for i := range g {
		g[i] = -g[i]
	}
}

// compute is ART's FastGradientMethod._compute with projection on: from x
// (plus a random point of the eps ball, clipped, when randomInit), one
// step of epsStep along the normalised gradient, clipped, then projected
// on the eps ball around xInit. It returns new rows; x is not changed.
func compute(ctx context.Context, o *oracle, p Params, rng *rand.Rand, x, xInit []float64, l labels, epsStep float64, randomInit bool, batchSize int) ([]float64, error) {
	adv := append([]float64(nil), x...)
	if err := computeInPlace(ctx, o, p, rng, adv, xInit, l, epsStep, randomInit, batchSize, nil); err != nil {
		return nil, err
	}
	return adv, nil
}

// computeInPlace is compute on adv itself, with grad (nil, or at least as
// long as one batch) as the gradient's working space.
func computeInPlace(ctx context.Context, o *oracle, p Params, rng *rand.Rand, adv, xInit []float64, l labels, epsStep float64, randomInit bool, batchSize int, grad []float64) error {
	s := o.s
	if randomInit {
		noise := make([]float64, len(adv))
		randomBall(rng, noise, s.feat, p.Eps, p.Norm)
		for i := range adv {
			adv[i] = s.r(adv[i] + s.r(noise[i]))
		}
		s.clip(adv)
	}
	for _, b := range batches(len(adv)/s.feat, batchSize) {
		if err := ctx.Err(); err != nil {
			return err
		}
		lo, hi := b[0]*s.feat, b[1]*s.feat
		t, err := o.lossGradient(ctx, o.input(adv[lo:hi]), l.slice(b[0], b[1]))
		if err != nil {
			return err
		}
		if len(grad) < hi-lo {
			grad = make([]float64, hi-lo)
		}
		s.update(adv[lo:hi], xInit[lo:hi], t, grad, p, epsStep)
	}
	return nil
}

// update is the step of compute after the gradient t of rows adv: orient,
// normalise, step of epsStep, clip, project on the eps ball around xInit.
// grad (at least len(adv) long) is working space.
func (s space) update(adv, xInit []float64, t tensor.Tensor, grad []float64, p Params, epsStep float64) {
	// With norm inf every operation is per element: one pass.
	if p.Norm == NormInf && s.stepInf(adv, xInit, t, p.Targeted, epsStep, p.Eps) {
		return
	}
	g := float64s(grad, t)
	orient(g, p.Targeted)
	s.direction(p.Norm, g)
	s.step(adv, g, epsStep)
	s.project(adv, xInit, p.Eps, p.Norm)
}

// success is ART's compute_success_array: targeted, the prediction on adv
// is the target; untargeted, it differs from the prediction on x.
func success(ctx context.Context, o *oracle, x, adv []float64, l labels, targeted bool) ([]bool, error) {
	pa, err := o.classes(ctx, adv)
	if err != nil {
		return nil, err
	}
	ref := l.index
	if !targeted {
		if ref, err = o.classes(ctx, x); err != nil {
			return nil, err
		}
	}
	out := make([]bool, len(pa))
	for i, c := range pa {
		out[i] = (c == ref[i]) == targeted
	}
	return out, nil
}

func fraction(ok []bool) float64 {
	n := 0
	for _, v := range ok {
		if v {
			n++
		}
	}
	return float64(n) / float64(len(ok))
}

func normaliseRows(p []float64, k int) {
	for lo := 0; lo < len(p); lo += k {
		s := 0.0
		for _, v := range p[lo : lo+k] {
			s += v
		}
		for i := lo; i < lo+k; i++ {
			p[i] /= s
		}
	}
}
