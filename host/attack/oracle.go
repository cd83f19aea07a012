package attack

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mathext"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/tensor"
)

// oracle is the estimator as an attack sees it: calls on float64 rows,
// each call's rows counted as queries.
type oracle struct {
	name    string
	est     host.Estimator
	s       space
	k       int
	queries int64
}

func newOracle(name string, est host.Estimator, x tensor.Tensor) (*oracle, error) {
	d := est.Describe()
	s, err := newSpace(name, d, x)
	if err != nil {
		return nil, err
	}
	if d.NbClasses < 2 {
		return nil, fmt.Errorf("attack %s: estimator %q has %d classes, want a classifier with at least 2", name, d.Name, d.NbClasses)
	}
	return &oracle{name: name, est: est, s: s, k: d.NbClasses}, nil
}

// predict returns the model's output rows (n*k) for rows v.
func (o *oracle) predict(ctx context.Context, v []float64) ([]float64, error) {
	n := len(v) / o.s.feat
	p, err := o.est.Predict(ctx, o.s.tensor(v), false)
	if err != nil {
		return nil, fmt.Errorf("attack %s: %w", o.name, err)
	}
	o.queries += int64(n)
	if p.Len() != n*o.k {
		return nil, fmt.Errorf("attack %s: predict returned shape %v for %d samples and %d classes", o.name, p.Shape, n, o.k)
	}
	return p.Float64s(), nil
}

// classes returns the argmax class of each row of v.
func (o *oracle) classes(ctx context.Context, v []float64) ([]int, error) {
	p, err := o.predict(ctx, v)
	if err != nil {
		return nil, err
	}
	return argmax(p, o.k), nil
}

// gradient returns d loss / d x for rows v and labels l.
func (o *oracle) gradient(ctx context.Context, v []float64, l labels) ([]float64, error) {
	g, err := o.est.LossGradient(ctx, o.s.tensor(v), l.tensor())
	if err != nil {
		return nil, fmt.Errorf("attack %s: %w", o.name, err)
	}
	o.queries += int64(len(v) / o.s.feat)
	if g.Len() != len(v) {
		return nil, fmt.Errorf("attack %s: loss gradient has shape %v, want %d elements", o.name, g.Shape, len(v))
	}
	if g.DType == tensor.Float64 {
		return append([]float64(nil), g.F64...), nil
	}
	return g.Float64s(), nil
}

// labels are an attack's targets: one class per row and a probability row.
type labels struct {
	k     int
	index []int
	prob  []float64
	hard  bool // every row one-hot: send indices
}

func (l labels) slice(lo, hi int) labels {
	return labels{k: l.k, index: l.index[lo:hi], prob: l.prob[lo*l.k : hi*l.k], hard: l.hard}
}

func (l labels) tensor() tensor.Tensor {
	if l.hard {
		v := make([]int64, len(l.index))
		for i, c := range l.index {
			v[i] = int64(c)
		}
		return tensor.FromInt64(v, len(v))
	}
	return tensor.FromFloat64(append([]float64(nil), l.prob...), len(l.index), l.k)
}

// labels reads y, or predicts one-hot labels for x when y has no shape
// (ART's get_labels_np_array of the predictions).
func (o *oracle) labels(ctx context.Context, x []float64, y tensor.Tensor, targeted bool) (labels, error) {
	n := len(x) / o.s.feat
	if y.Shape == nil {
		if targeted {
			return labels{}, fmt.Errorf("attack %s: a targeted attack needs target labels", o.name)
		}
		c, err := o.classes(ctx, x)
		if err != nil {
			return labels{}, err
		}
		l := labels{k: o.k, index: c, prob: make([]float64, n*o.k), hard: true}
		for i, j := range c {
			l.prob[i*o.k+j] = 1
		}
		return l, nil
	}
	t, err := tensor.NormalizeLabels(y, n, o.k)
	if err != nil {
		return labels{}, fmt.Errorf("attack %s: %w", o.name, err)
	}
	l := labels{k: o.k, index: t.Index, prob: t.Prob, hard: true}
	for i, c := range t.Index {
		if t.Prob[i*o.k+c] != 1 {
			l.hard = false
		}
	}
	return l, nil
}

func argmax(p []float64, k int) []int {
	out := make([]int, len(p)/k)
	for i := range out {
		row := p[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		out[i] = best
	}
	return out
}

// batches splits n rows into [lo, hi) ranges of at most size rows (one
// range when size is 0).
func batches(n, size int) [][2]int {
	if size <= 0 || size > n {
		size = n
	}
	var out [][2]int
	for lo := 0; lo < n; lo += size {
		out = append(out, [2]int{lo, min(lo+size, n)})
	}
	return out
}

// randomBall fills v (rows of feat elements) with ART's random_sphere:
// uniform points of the norm ball of radius eps. inf: uniform in
// [-eps, eps]; 2: a Gaussian direction scaled by
// P(d/2, |a|^2/2)^(1/d) eps / |a| (P the regularised lower incomplete
// gamma function); 1: the spacings of d sorted uniforms with random signs.
func randomBall(rng *rand.Rand, v []float64, feat int, eps float64, norm Norm) {
	for lo := 0; lo < len(v); lo += feat {
		row := v[lo : lo+feat]
		switch norm {
		case NormInf:
			for i := range row {
				row[i] = -eps + 2*eps*rng.Float64()
			}
		case Norm2:
			s2 := 0.0
			for i := range row {
				row[i] = rng.NormFloat64()
				s2 += row[i] * row[i]
			}
			base := math.Pow(mathext.GammaIncReg(float64(feat)/2, s2/2), 1/float64(feat)) * eps / math.Sqrt(s2)
			for i := range row {
				row[i] *= base
			}
		case Norm1:
			u := make([]float64, feat)
			for i := range u {
				u[i] = rng.Float64()
			}
			sort.Float64s(u)
			prev := 0.0
			for i, x := range u {
				s := 1.0
				if rng.IntN(2) == 0 {
					s = -1
				}
				row[i] = eps * (x - prev) * s
				prev = x
			}
		}
	}
}

// newRand returns the attack's generator for a seed.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

func report(p Params, name string, step, steps int) {
	if p.Progress != nil {
		p.Progress(Progress{Attack: name, Step: step, Steps: steps})
	}
}
