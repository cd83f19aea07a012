package model

import (
	"encoding/json"
	"fmt"
	"math"
)

// scaler is a StandardScaler ((x - mean) / scale, either part optional) or
// a MinMaxScaler (x * scale + min, optionally clipped to feature_range).
type scaler struct {
	minmax      bool
	mean, scale []float64 // StandardScaler: nil when not applied
	inv         []float64 // StandardScaler: 1/scale, for batches
	min         []float64
	clip        bool
	lo, hi      float64
}

func decodeScaler(raw json.RawMessage, path string, d int) (scaler, error) {
	var s scaler
	o, err := parseObject(raw, path)
	if err != nil {
		return s, err
	}
	typ, err := o.enum("type", "StandardScaler", "MinMaxScaler")
	if err != nil {
		return s, err
	}
	if typ == "StandardScaler" {
		// mean and scale must be present; null means not applied.
		for _, k := range []string{"mean", "scale"} {
			if _, err := o.raw(k); err != nil {
				return s, err
			}
		}
		if o.has("mean") {
			if s.mean, err = o.vector("mean", d); err != nil {
				return s, err
			}
		}
		if o.has("scale") {
			if s.scale, err = o.vector("scale", d); err != nil {
				return s, err
			}
		}
		if err := positive(o.key("scale"), s.scale); err != nil {
			return s, err
		}
		if s.scale != nil {
			s.inv = make([]float64, d)
			for f, v := range s.scale {
				s.inv[f] = 1 / v
			}
		}
		return s, o.done()
	}
	s.minmax = true
	if s.scale, err = o.vector("scale", d); err != nil {
		return s, err
	}
	if s.min, err = o.vector("min", d); err != nil {
		return s, err
	}
	if err := o.req("clip", &s.clip); err != nil {
		return s, err
	}
	fr, err := o.vector("feature_range", 2)
	if err != nil {
		return s, err
	}
	if fr[0] >= fr[1] {
		return s, fmt.Errorf("%s: %v is not an increasing range", o.key("feature_range"), fr)
	}
	s.lo, s.hi = fr[0], fr[1]
	return s, o.done()
}

func positive(path string, v []float64) error {
	for i, f := range v {
		if f == 0 {
			return fmt.Errorf("%s[%d]: zero scale", path, i)
		}
	}
	return nil
}

// apply transforms one row in place and, when grad is not nil, multiplies
// grad (d) by the transform's diagonal derivative.
func (s *scaler) apply(x, grad []float64) {
	for f := range x {
		g := 1.0
		if s.minmax {
			v := x[f]*s.scale[f] + s.min[f]
			g = s.scale[f]
			if s.clip && (v < s.lo || v > s.hi) {
				v, g = math.Min(math.Max(v, s.lo), s.hi), 0
			}
			x[f] = v
		} else {
			if s.mean != nil {
				x[f] -= s.mean[f]
			}
			if s.scale != nil {
				x[f] /= s.scale[f]
				g = 1 / s.scale[f]
			}
		}
		if grad != nil {
			grad[f] *= g
		}
	}
}

func (s *scaler) export() map[string]any {
	if s.minmax {
		return map[string]any{"type": "MinMaxScaler", "scale": s.scale, "min": s.min,
			"clip": s.clip, "feature_range": []float64{s.lo, s.hi}}
	}
	return map[string]any{"type": "StandardScaler", "mean": s.mean, "scale": s.scale}
}

// Pipeline is a Pipeline of scalers followed by a classifier. It has
// exactly the capabilities of its final model, and its gradients are the
// final model's times the scalers' diagonal derivatives.
type Pipeline struct {
	steps []scaler
	final Model
}

func decodePipeline(o *object, s shape, depth int) (Model, error) {
	var raws []json.RawMessage
	if err := o.req("steps", &raws); err != nil {
		return nil, err
	}
	if len(raws) > maxDepth {
		return nil, fmt.Errorf("%s: %d steps, more than %d", o.key("steps"), len(raws), maxDepth)
	}
	p := &Pipeline{}
	for i, r := range raws {
		sc, err := decodeScaler(r, fmt.Sprintf("%s[%d]", o.key("steps"), i), s.features)
		if err != nil {
			return nil, err
		}
		p.steps = append(p.steps, sc)
	}
	raw, err := o.raw("final")
	if err != nil {
		return nil, err
	}
	if p.final, err = decodeModel(raw, o.key("final"), s, depth+1); err != nil {
		return nil, err
	}
	return p, nil
}

// pipeBlock is how many rows are scaled at a time before the final model
// runs on them: the scaled block stays in cache and the buffer is small.
const pipeBlock = 128

// transformRows writes the scaled rows of x into dst (same length), with
// the arithmetic of apply except that StandardScaler multiplies by 1/scale
// (within an ulp of sklearn's division, at a quarter of its cost).
func (s *scaler) transformRows(dst, x []float64, d int) {
	for lo := 0; lo < len(x); lo += d {
		in, out := x[lo:lo+d], dst[lo:lo+d]
		switch {
		case s.minmax:
			sc, mn := s.scale[:d], s.min[:d]
			for f, v := range in {
				out[f] = v*sc[f] + mn[f]
			}
			if s.clip {
				for f, v := range out {
					out[f] = math.Min(math.Max(v, s.lo), s.hi)
				}
			}
		case s.mean != nil && s.scale != nil:
			mu, inv := s.mean[:d], s.inv[:d]
			for f, v := range in {
				out[f] = (v - mu[f]) * inv[f]
			}
		case s.mean != nil:
			mu := s.mean[:d]
			for f, v := range in {
				out[f] = v - mu[f]
			}
		case s.scale != nil:
			inv := s.inv[:d]
			for f, v := range in {
				out[f] = v * inv[f]
			}
		default:
			copy(out, in)
		}
	}
}

// blocks runs fn on the scaled rows of x, pipeBlock rows at a time: fn
// gets the scaled block, the first row's index and the block's row count.
func (p *Pipeline) blocks(x []float64, n int, fn func(xs []float64, lo, b int)) {
	if len(p.steps) == 0 {
		fn(x, 0, n)
		return
	}
	d := p.NumFeatures()
	buf := make([]float64, min(n, pipeBlock)*d)
	for lo := 0; lo < n; lo += pipeBlock {
		b := min(pipeBlock, n-lo)
		xs := buf[:b*d]
		src := x[lo*d : (lo+b)*d]
		for j := range p.steps {
			p.steps[j].transformRows(xs, src, d)
			src = xs
		}
		fn(xs, lo, b)
	}
}

func (p *Pipeline) NumFeatures() int   { return p.final.NumFeatures() }
func (p *Pipeline) NumClasses() int    { return p.final.NumClasses() }
func (p *Pipeline) HasProba() bool     { return p.final.HasProba() }
func (p *Pipeline) DecisionWidth() int { return p.final.DecisionWidth() }
func (p *Pipeline) GradKind() GradKind { return p.final.GradKind() }
func (p *Pipeline) Proba(x []float64, n int, out []float64) {
	k := p.NumClasses()
	p.blocks(x, n, func(xs []float64, lo, b int) { p.final.Proba(xs, b, out[lo*k:(lo+b)*k]) })
}
func (p *Pipeline) Predict(x []float64, n int, out []int) {
	p.blocks(x, n, func(xs []float64, lo, b int) { p.final.Predict(xs, b, out[lo:lo+b]) })
}
func (p *Pipeline) Decision(x []float64, n int, out []float64) {
	w := p.DecisionWidth()
	p.blocks(x, n, func(xs []float64, lo, b int) { p.final.Decision(xs, b, out[lo*w:(lo+b)*w]) })
}
func (p *Pipeline) Logits(x []float64, n int, out []float64) {
	k := p.NumClasses()
	p.blocks(x, n, func(xs []float64, lo, b int) { p.final.Logits(xs, b, out[lo*k:(lo+b)*k]) })
}

// Grad chains the final model's Jacobian with the scalers' derivatives.
func (p *Pipeline) Grad(x, val, jac []float64) {
	d := p.NumFeatures()
	xs := append([]float64(nil), x...)
	chain := make([]float64, d)
	for f := range chain {
		chain[f] = 1
	}
	for j := range p.steps {
		p.steps[j].apply(xs, chain)
	}
	p.final.Grad(xs, val, jac)
	for k := 0; k < p.NumClasses(); k++ {
		row := jac[k*d : (k+1)*d]
		for f := range row {
			row[f] *= chain[f]
		}
	}
}

func (p *Pipeline) export() map[string]any {
	steps := make([]map[string]any, len(p.steps))
	for i := range p.steps {
		steps[i] = p.steps[i].export()
	}
	return map[string]any{"type": "Pipeline", "steps": steps, "final": p.final.export()}
}

// Final returns the classifier at the end of a pipeline (m itself
// otherwise).
func Final(m Model) Model {
	for {
		p, ok := m.(*Pipeline)
		if !ok {
			return m
		}
		m = p.final
	}
}

func columnRange(x []float64, n, d int) (lo, hi []float64) {
	lo, hi = append([]float64(nil), x[:d]...), append([]float64(nil), x[:d]...)
	for i := 1; i < n; i++ {
		for f, v := range x[i*d : (i+1)*d] {
			lo[f], hi[f] = math.Min(lo[f], v), math.Max(hi[f], v)
		}
	}
	return lo, hi
}

// sqrt1 is the standard deviation for a variance, 1 when it is zero.
func sqrt1(v float64) float64 {
	if v == 0 {
		return 1
	}
	return math.Sqrt(v)
}
