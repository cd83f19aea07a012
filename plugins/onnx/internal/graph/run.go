package graph

import (
	"fmt"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
)

// Env holds the values of one run, indexed by slot. With Keep set every
// intermediate value stays addressable (for activations and backward
// passes); otherwise values are dropped after their last reader.
type Env struct {
	Values []*nd.Array
}

// Get returns the value of a name, or nil.
func (m *Model) Get(env *Env, name string) *nd.Array {
	if s, ok := m.slots[name]; ok {
		return env.Values[s]
	}
	return nil
}

// Run evaluates the plan on feeds (input name -> value). keep retains
// every intermediate value in the returned Env; without it, large
// intermediate buffers are recycled through the model's arena as soon as
// the last value sharing them dies.
func (m *Model) Run(ctx *ops.Ctx, feeds map[string]*nd.Array, keep bool) (*Env, error) {
	if ctx == nil {
		ctx = &ops.Ctx{}
	}
	if !keep && ctx.Arena == nil {
		c := *ctx
		c.Arena = m.arena
		ctx = &c
	}
	var refs map[*float32]*bufRef
	if !keep {
		refs = map[*float32]*bufRef{}
	}
	env := &Env{Values: make([]*nd.Array, len(m.Names))}
	copy(env.Values, m.Consts)
	for _, in := range m.Inputs {
		v, ok := feeds[in.Name]
		if !ok {
			return nil, fmt.Errorf("missing input %q", in.Name)
		}
		if err := checkFeed(in, v); err != nil {
			return nil, err
		}
		env.Values[m.slots[in.Name]] = v
	}
	args := make([]*nd.Array, 0, 8)
	for i := range m.Steps {
		st := &m.Steps[i]
		args = args[:0]
		for _, s := range st.In {
			if s < 0 {
				args = append(args, nil)
			} else {
				args = append(args, env.Values[s])
			}
		}
		outs, err := m.exec(ctx, st, args)
		if err != nil {
			return nil, err
		}
		for j, s := range st.Out {
			if s >= 0 {
				env.Values[s] = outs[j]
				if refs != nil {
					track(refs, outs[j], 1)
				}
			}
		}
		if !keep {
			for _, s := range st.In {
				if s >= 0 && m.lastUse[s] == i && m.Consts[s] == nil {
					if v := env.Values[s]; v != nil && track(refs, v, -1) {
						m.arena.Release(v.F)
					}
					env.Values[s] = nil
				}
			}
		}
	}
	return env, nil
}

// checkFeed compares a fed value with the declared input.
func checkFeed(in ValueInfo, v *nd.Array) error {
	if v == nil {
		return fmt.Errorf("input %q is nil", in.Name)
	}
	if v.DType != in.DType {
		return fmt.Errorf("input %q: dtype %s, model wants %s", in.Name, v.DType, in.DType)
	}
	if !in.HasShape {
		return nil
	}
	if len(v.Shape) != len(in.Shape) {
		return fmt.Errorf("input %q: shape %v has rank %d, model wants %v", in.Name, v.Shape, len(v.Shape), in.Shape)
	}
	for i, d := range in.Shape {
		if d >= 0 && v.Shape[i] != d {
			return fmt.Errorf("input %q: shape %v, model wants %v", in.Name, v.Shape, in.Shape)
		}
	}
	return nil
}

// bufRef counts the live values sharing one float buffer (a Reshape output
// shares its input's data) and whether the buffer came from the arena.
type bufRef struct {
	n      int
	pooled bool
}

// track adds delta to the count of v's buffer and reports whether a
// pooled buffer has just lost its last user. Feeds and constants are never
// pooled, so they are never released.
func track(refs map[*float32]*bufRef, v *nd.Array, delta int) bool {
	if v == nil || len(v.F) == 0 || cap(v.F) < 256 {
		return false
	}
	p := &v.F[:1][0]
	r := refs[p]
	if r == nil {
		if delta < 0 {
			return false
		}
		r = &bufRef{}
		refs[p] = r
	}
	r.pooled = r.pooled || v.Pooled
	r.n += delta
	if r.n <= 0 {
		delete(refs, p)
		return r.pooled
	}
	return false
}
