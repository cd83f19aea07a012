package defences

import (
	"fmt"
	"slices"

	"github.com/arthost/arthost/shared/tensor"
)

// bound is one side of clip_values: a number, or an array (nested lists)
// that broadcasts numpy-style against the trailing axes of a sample.
type bound struct {
	v     []float64
	shape []int
}

// clipRange is a parsed clip_values; set is false when it was not given.
type clipRange struct {
	lo, hi bound
	set    bool
}

// scalar reports whether both sides are plain numbers.
func (c clipRange) scalar() bool { return len(c.lo.shape) == 0 && len(c.hi.shape) == 0 }

func (c clipRange) String() string {
	if c.scalar() {
		return fmt.Sprintf("[%v, %v]", c.lo.v[0], c.hi.v[0])
	}
	return fmt.Sprintf("[%v, %v]", c.lo.v, c.hi.v)
}

// clip reads clip_values as [min, max]. With scalarOnly each side must be a
// number; otherwise each may be an array broadcasting against a sample.
// Every min must lie below its max.
func (p *params) clip(key string, required, scalarOnly bool) clipRange {
	v, ok := p.get(key)
	if !ok {
		if required {
			p.failf(key, "required: give [min, max]")
		}
		return clipRange{}
	}
	pair, ok := v.([]any)
	if !ok || len(pair) != 2 {
		p.failf(key, "want [min, max], got %#v", v)
		return clipRange{}
	}
	var c clipRange
	for i, side := range []*bound{&c.lo, &c.hi} {
		b, err := parseBound(pair[i])
		if err != nil {
			p.failf(key, "%s: %v", [2]string{"min", "max"}[i], err)
			return clipRange{}
		}
		if scalarOnly && len(b.shape) > 0 {
			p.failf(key, "want two numbers, got %#v", v)
			return clipRange{}
		}
		*side = b
	}
	if len(c.lo.v) != 1 && len(c.hi.v) != 1 && !slices.Equal(c.lo.shape, c.hi.shape) {
		p.failf(key, "min and max have shapes %v and %v", c.lo.shape, c.hi.shape)
		return clipRange{}
	}
	for i := 0; i < max(len(c.lo.v), len(c.hi.v)); i++ {
		lo, hi := c.lo.v[i%len(c.lo.v)], c.hi.v[i%len(c.hi.v)]
		if !(lo < hi) {
			p.failf(key, "min %v is not below max %v", lo, hi)
			return clipRange{}
		}
	}
	c.set = true
	return c
}

// parseBound reads a number or a rectangular nested list of numbers.
func parseBound(v any) (bound, error) {
	if f, ok := toFloat(v); ok {
		if f != f {
			return bound{}, fmt.Errorf("NaN")
		}
		return bound{v: []float64{f}}, nil
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return bound{}, fmt.Errorf("want a number or a non-empty list of numbers, got %#v", v)
	}
	var b bound
	for i, e := range list {
		sub, err := parseBound(e)
		if err != nil {
			return bound{}, err
		}
		if i == 0 {
			b.shape = append([]int{len(list)}, sub.shape...)
		} else if !slices.Equal(sub.shape, b.shape[1:]) {
			return bound{}, fmt.Errorf("ragged list %#v", v)
		}
		b.v = append(b.v, sub.v...)
	}
	return b, nil
}

// expand returns the bound's value for every element of a sample of the
// given shape, broadcasting numpy-style against its trailing axes.
func (b bound) expand(sample []int) ([]float64, error) {
	n := tensor.NumElements(sample)
	out := make([]float64, n)
	if len(b.shape) == 0 {
		for i := range out {
			out[i] = b.v[0]
		}
		return out, nil
	}
	off := len(sample) - len(b.shape)
	if off < 0 {
		return nil, fmt.Errorf("clip_values of shape %v do not broadcast to sample shape %v", b.shape, sample)
	}
	for d, s := range b.shape {
		if s != 1 && s != sample[off+d] {
			return nil, fmt.Errorf("clip_values of shape %v do not broadcast to sample shape %v", b.shape, sample)
		}
	}
	idx := make([]int, len(sample))
	for i := range out {
		j := 0
		for d, s := range b.shape {
			j *= s
			if s != 1 {
				j += idx[off+d]
			}
		}
		out[i] = b.v[j]
		for d := len(sample) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < sample[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out, nil
}

// bounds returns per-element minima and maxima for a batch of shape shape.
func (c clipRange) bounds(shape []int) (lo, hi []float64, err error) {
	sample := shape[1:]
	if lo, err = c.lo.expand(sample); err != nil {
		return nil, nil, err
	}
	hi, err = c.hi.expand(sample)
	return lo, hi, err
}

// apply clips the batch values v of shape shape in place (no-op when unset).
func (c clipRange) apply(v []float64, shape []int) error {
	if !c.set {
		return nil
	}
	lo, hi, err := c.bounds(shape)
	if err != nil {
		return err
	}
	m := len(lo)
	for i := range v {
		v[i] = min(max(v[i], lo[i%m]), hi[i%m])
	}
	return nil
}
