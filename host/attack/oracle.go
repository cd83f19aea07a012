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
	// in32 and in64 hold the input of the latest call in the input's dtype,
	// reused from call to call (an estimator does not keep its input).
	in32 []float32
	in64 []float64
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
	p, err := o.est.Predict(ctx, o.input(v), false)
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

// gradient writes d loss / d x for rows v and labels l into dst (len(v)
// values) and returns it.
func (o *oracle) gradient(ctx context.Context, dst, v []float64, l labels) ([]float64, error) {
	g, err := o.lossGradient(ctx, o.input(v), l)
	if err != nil {
		return nil, err
	}
	return float64s(dst, g), nil
}

// float64s writes t's values into dst[:t.Len()] and returns that.
func float64s(dst []float64, t tensor.Tensor) []float64 {
	dst = dst[:t.Len()]
	switch t.DType {
	case tensor.Float32:
		for i, x := range t.F32 {
			dst[i] = float64(x)
		}
	case tensor.Float64:
		copy(dst, t.F64)
	default:
		for i := range dst {
			dst[i] = t.At(i)
		}
	}
	return dst
}

// lossGradient returns the estimator's loss gradient for input x (from
// o.input or o.input32) and labels l, checked to hold one value per
// element of x. The tensor may be the estimator's own: read it, do not
// keep it.
func (o *oracle) lossGradient(ctx context.Context, x tensor.Tensor, l labels) (tensor.Tensor, error) {
	g, err := o.est.LossGradient(ctx, x, l.tensor())
	if err != nil {
		return g, fmt.Errorf("attack %s: %w", o.name, err)
	}
	o.queries += int64(x.Rows())
	if g.Len() != x.Len() {
		return g, fmt.Errorf("attack %s: loss gradient has shape %v, want %d elements", o.name, g.Shape, x.Len())
	}
	return g, nil
}

// input returns rows v as a tensor of the input's dtype, in a buffer that
// the next call reuses.
func (o *oracle) input(v []float64) tensor.Tensor {
	shape := append([]int{len(v) / o.s.feat}, o.s.shape...)
	if o.s.f32 {
		if cap(o.in32) < len(v) {
			o.in32 = make([]float32, len(v))
		}
		b := o.in32[:len(v)]
		for i, x := range v {
			b[i] = float32(x)
		}
		return tensor.Tensor{DType: tensor.Float32, Shape: shape, F32: b}
	}
	return o.inputFloat64(v, shape)
}

// input32 is input for float32 rows of a float32 input.
func (o *oracle) input32(v []float32) tensor.Tensor {
	shape := append([]int{len(v) / o.s.feat}, o.s.shape...)
	if cap(o.in32) < len(v) {
		o.in32 = make([]float32, len(v))
	}
	b := o.in32[:len(v)]
	copy(b, v)
	return tensor.Tensor{DType: tensor.Float32, Shape: shape, F32: b}
}

func (o *oracle) inputFloat64(v []float64, shape []int) tensor.Tensor {
	if cap(o.in64) < len(v) {
		o.in64 = make([]float64, len(v))
	}
	b := o.in64[:len(v)]
	copy(b, v)
	return tensor.Tensor{DType: tensor.Float64, Shape: shape, F64: b}
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
