package attack

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/tensor"
)

// Square is Square Attack (Andriushchenko et al. 2020) in the inf norm,
// after ART's SquareAttack: random vertical stripes of ±eps, then MaxIter
// rounds that each try one random square of ±2 eps per channel on every
// sample still classified correctly, kept when it lowers the margin loss
// (score of the true class minus the best other score). It needs only
// Predict, so it attacks models without gradients.
type Square struct{ p Params }

// Name returns "square".
func (a *Square) Name() string { return "square" }

// geometry is an input sample seen as an image: c channels of h x w.
type geometry struct {
	c, h, w       int
	channelsFirst bool
}

func newGeometry(d host.Description, shape []int) (geometry, error) {
	switch len(shape) {
	case 1:
		return geometry{c: 1, h: 1, w: shape[0], channelsFirst: true}, nil
	case 2:
		return geometry{c: 1, h: shape[0], w: shape[1], channelsFirst: true}, nil
	case 3:
		if d.ChannelsFirst {
			return geometry{c: shape[0], h: shape[1], w: shape[2], channelsFirst: true}, nil
		}
		return geometry{c: shape[2], h: shape[0], w: shape[1]}, nil
	}
	return geometry{}, fmt.Errorf("attack square: sample shape %v, want (features), (h, w) or an image (c, h, w)", shape)
}

// at is the flat index of channel ch, row i, column j of one sample.
func (g geometry) at(ch, i, j int) int {
	if g.channelsFirst {
		return (ch*g.h+i)*g.w + j
	}
	return (i*g.w+j)*g.c + ch
}

// pSelection is ART's _get_percentage_of_elements: the fraction of pixels
// a square covers, halving at fixed points of the schedule.
func (a *Square) pSelection(it int) float64 {
	intervals := []float64{0.001, 0.005, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8}
	ip := float64(it) / float64(a.p.MaxIter)
	k := sort.SearchFloat64s(intervals, ip) // bisect_left
	return a.p.PInit / math.Pow(2, float64(k))
}

// tile returns the square's height and width for fraction p.
func (g geometry) tile(p float64) (int, int) {
	if g.h == 1 {
		return 1, max(int(math.RoundToEven(p*float64(g.w))), 1)
	}
	t := max(int(math.RoundToEven(math.Sqrt(p*float64(g.h*g.w)))), 1)
	t = min(t, g.h, g.w)
	return t, t
}

// squareState tracks each sample's current scores.
type squareState struct {
	adv    []float64
	margin []float64
	robust []bool
}

// Generate crafts adversarial examples for x (untargeted; y defaults to
// the model's predictions). Samples already misclassified are left as
// they are. Each sample's predictions are remembered, so only candidates
// cost queries (ART re-predicts the whole batch every round; the result
// is the same for a deterministic model).
func (a *Square) Generate(ctx context.Context, est host.Estimator, x, y tensor.Tensor) (Result, error) {
	o, err := newOracle("square", est, x)
	if err != nil {
		return Result{}, err
	}
	g, err := newGeometry(est.Describe(), o.s.shape)
	if err != nil {
		return Result{}, err
	}
	x0 := o.s.rows(x)
	clean, err := o.predict(ctx, x0)
	if err != nil {
		return Result{}, err
	}
	l, err := a.labels(ctx, o, x0, clean, y)
	if err != nil {
		return Result{}, err
	}
	n := len(x0) / o.s.feat
	st := squareState{adv: append([]float64(nil), x0...), margin: make([]float64, n), robust: make([]bool, n)}
	cleanMargin, cleanRobust := margins(clean, l.index, o.k)
	copy(st.margin, cleanMargin)
	copy(st.robust, cleanRobust)
	rng := newRand(a.p.Seed)
	steps := a.p.NumRandomInit * (a.p.MaxIter + 1)
	for r := range a.p.NumRandomInit {
		if err := a.stripes(ctx, o, g, rng, x0, l, &st, cleanMargin, cleanRobust); err != nil {
			return Result{}, err
		}
		report(a.p, "square", r*(a.p.MaxIter+1)+1, steps)
		for it := range a.p.MaxIter {
			if err := a.round(ctx, o, g, rng, x0, l, &st, it); err != nil {
				return Result{}, err
			}
			report(a.p, "square", r*(a.p.MaxIter+1)+it+2, steps)
		}
	}
	return Result{Adv: o.s.tensor(st.adv), Queries: o.queries}, nil
}

func (a *Square) labels(ctx context.Context, o *oracle, x0, clean []float64, y tensor.Tensor) (labels, error) {
	if y.Shape != nil {
		return o.labels(ctx, x0, y, false)
	}
	c := argmax(clean, o.k)
	return labels{k: o.k, index: c, hard: true}, nil
}

// margins returns each row's score of its class minus the best other
// score, and whether the class is the argmax.
func margins(p []float64, class []int, k int) ([]float64, []bool) {
	m := make([]float64, len(class))
	ok := make([]bool, len(class))
	pred := argmax(p, k)
	for i, c := range class {
		row := p[i*k : (i+1)*k]
		other := math.Inf(-1)
		for j, v := range row {
			if j != c {
				other = math.Max(other, v)
			}
		}
		m[i] = row[c] - other
		ok[i] = pred[i] == c
	}
	return m, ok
}

// robustRows lists the samples still classified correctly.
func (st *squareState) robustRows() []int {
	var out []int
	for i, v := range st.robust {
		if v {
			out = append(out, i)
		}
	}
	return out
}

// try evaluates candidate rows for samples idx and keeps those that lower
// the margin. With reset, a sample that does not improve returns to base
// (ART's restart starts from x).
func (a *Square) try(ctx context.Context, o *oracle, idx []int, cand []float64, l labels, st *squareState, reset []float64, baseMargin []float64, baseRobust []bool) error {
	f := o.s.feat
	p, err := o.predict(ctx, cand)
	if err != nil {
		return err
	}
	cls := make([]int, len(idx))
	for j, i := range idx {
		cls[j] = l.index[i]
	}
	m, ok := margins(p, cls, o.k)
	for j, i := range idx {
		switch {
		case m[j] < baseMargin[i]:
			copy(st.adv[i*f:(i+1)*f], cand[j*f:(j+1)*f])
			st.margin[i], st.robust[i] = m[j], ok[j]
		case reset != nil:
			copy(st.adv[i*f:(i+1)*f], reset[i*f:(i+1)*f])
			st.margin[i], st.robust[i] = baseMargin[i], baseRobust[i]
		}
	}
	return nil
}

// stripes starts a restart: each robust sample gets x plus ±eps per
// column and channel (the same sign down the column), clipped.
func (a *Square) stripes(ctx context.Context, o *oracle, g geometry, rng *rand.Rand, x0 []float64, l labels, st *squareState, cleanMargin []float64, cleanRobust []bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	idx := st.robustRows()
	if len(idx) == 0 {
		return nil
	}
	f, eps := o.s.feat, a.p.Eps
	cand := make([]float64, 0, len(idx)*f)
	for _, i := range idx {
		row := append([]float64(nil), x0[i*f:(i+1)*f]...)
		for ch := range g.c {
			for j := range g.w {
				s := eps
				if rng.IntN(2) == 0 {
					s = -eps
				}
				for r := range g.h {
					k := g.at(ch, r, j)
					row[k] = o.s.r(row[k] + s)
				}
			}
		}
		o.s.clip(row)
		cand = append(cand, row...)
	}
	return a.try(ctx, o, idx, cand, l, st, x0, cleanMargin, cleanRobust)
}

// round tries one random square per robust sample: ±2 eps per channel on
// a tile, kept within eps of x and within the clip values.
func (a *Square) round(ctx context.Context, o *oracle, g geometry, rng *rand.Rand, x0 []float64, l labels, st *squareState, it int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	idx := st.robustRows()
	if len(idx) == 0 {
		return nil
	}
	f, eps := o.s.feat, a.p.Eps
	th, tw := g.tile(a.pSelection(it))
	cand := make([]float64, 0, len(idx)*f)
	for _, i := range idx {
		row := append([]float64(nil), st.adv[i*f:(i+1)*f]...)
		base := x0[i*f : (i+1)*f]
		r0, c0 := rng.IntN(g.h-th+1), rng.IntN(g.w-tw+1)
		for ch := range g.c {
			d := 2 * eps
			if rng.IntN(2) == 0 {
				d = -d
			}
			for r := r0; r < r0+th; r++ {
				for c := c0; c < c0+tw; c++ {
					k := g.at(ch, r, c)
					v := math.Min(math.Max(row[k]+d, base[k]-eps), base[k]+eps)
					row[k] = o.s.r(v)
				}
			}
		}
		o.s.clip(row)
		cand = append(cand, row...)
	}
	return a.try(ctx, o, idx, cand, l, st, nil, st.margin, st.robust)
}
