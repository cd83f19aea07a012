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
	// Every step works in place on cur, with one gradient buffer.
	cur, grad := make([]float64, len(x0)), make([]float64, len(x0))
	var fast *rows32
	if o.s.f32 && a.p.Norm == NormInf {
		fast = newRows32(o.s, x0)
	}
	for r := range max(1, a.p.NumRandomInit) {
		copy(cur, x0)
		for it := range a.p.MaxIter {
			var err error
			if randomInit := a.p.NumRandomInit > 0 && it == 0; fast != nil && !randomInit {
				err = a.step32(ctx, o, fast, cur, x0, grad, l)
			} else {
				fast.leave(cur)
				err = computeInPlace(ctx, o, a.p, rng, cur, x0, l, a.p.EpsStep, randomInit, 0, grad)
			}
			if err != nil {
				return err
			}
			*step++
			report(a.p, "pgd", *step, steps)
		}
		fast.leave(cur)
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

// rows32 holds a batch of a float32 input as float32 for PGD with norm
// inf, where a step needs no conversion at all: the rows are sent as they
// are and stepInf32 works on them. The float64 rows of PGD.batch lag
// behind until leave.
type rows32 struct {
	cur, x0 []float32
	lo, hi  []float32
	active  bool // cur holds the current rows
}

func newRows32(s space, x0 []float64) *rows32 {
	r := &rows32{cur: make([]float32, len(x0)), x0: make([]float32, len(x0))}
	for i, v := range x0 {
		r.x0[i] = float32(v) // exact: x0 holds float32 values
	}
	r.lo, r.hi = s.clipRows32()
	return r
}

// enter makes r hold rows cur (float32 values, converted exactly).
func (r *rows32) enter(cur []float64) {
	if r.active {
		return
	}
	for i, v := range cur {
		r.cur[i] = float32(v)
	}
	r.active = true
}

// leave writes r's rows back into cur when r holds the current ones; a
// nil r holds nothing.
func (r *rows32) leave(cur []float64) {
	if r == nil || !r.active {
		return
	}
	for i, v := range r.cur {
		cur[i] = float64(v)
	}
	r.active = false
}

// step32 is one step of computeInPlace (no random start, one batch) on
// the float32 rows; a gradient that is not float32 takes the general
// path on cur.
func (a *PGD) step32(ctx context.Context, o *oracle, r *rows32, cur, x0, grad []float64, l labels) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.enter(cur)
	t, err := o.lossGradient(ctx, o.input32(r.cur), l)
	if err != nil {
		return err
	}
	if t.DType == tensor.Float32 {
		stepInf32(r.cur, r.x0, t.F32, r.lo, r.hi, o.s.feat, a.p.Targeted, float32(a.p.EpsStep), a.p.Eps)
		return nil
	}
	r.leave(cur)
	o.s.update(cur, x0, t, grad, a.p, a.p.EpsStep)
	return nil
}
