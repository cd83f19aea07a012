package autodiff

import "github.com/arthost/arthost/plugins/onnx/internal/nd"

// accumulator sums the gradient contributions of each value. A VJP may
// return its output gradient itself or a view of it (Identity, Reshape),
// so a first contribution is stored as is and copied only when a second
// one arrives; from then on the sum is owned and updated in place.
//
// With an arena, VJPs draw their outputs from it, and the accumulator
// gives a buffer back once no gradient holds it any more. Holders are
// counted per buffer, since pass-through and reshaped gradients share
// one.
type accumulator struct {
	g     []*nd.Array
	owned []bool
	arena *nd.Arena
	refs  map[*float32]*holders
}

type holders struct {
	n      int
	pooled bool
}

func newAccumulator(n int, arena *nd.Arena) *accumulator {
	return &accumulator{g: make([]*nd.Array, n), owned: make([]bool, n), arena: arena, refs: map[*float32]*holders{}}
}

// add accumulates d into slot s.
func (a *accumulator) add(s int, d *nd.Array) {
	cur := a.g[s]
	switch {
	case cur == nil:
		a.g[s], a.owned[s] = d, false
		a.hold(d, 1)
	case !a.owned[s]:
		sum := a.newF(cur.Shape)
		for i, v := range cur.F {
			sum.F[i] = v + d.F[i]
		}
		a.g[s], a.owned[s] = sum, true
		a.hold(sum, 1)
		a.hold(cur, -1)
		a.hold(d, 0)
	default:
		for i, v := range d.F {
			cur.F[i] += v
		}
		a.hold(d, 0)
	}
}

// exclusive reports whether the gradient of slot s sits in an arena
// buffer that nothing else holds (no other slot, no caller's seed), so
// the producer's backward rule may overwrite it.
func (a *accumulator) exclusive(s int) bool {
	g := a.g[s]
	if a.arena == nil || g == nil || !g.Pooled || cap(g.F) < 256 {
		return false
	}
	h := a.refs[&g.F[:1][0]]
	return h != nil && h.n == 1
}

// drop forgets the gradient of a value whose producer has run.
func (a *accumulator) drop(s int) {
	if g := a.g[s]; g != nil {
		a.hold(g, -1)
	}
	a.g[s], a.owned[s] = nil, false
}

func (a *accumulator) newF(shape []int) *nd.Array {
	shape = append([]int(nil), shape...)
	if a.arena == nil {
		return nd.NewF(shape...)
	}
	return a.arena.NewFDirty(shape...)
}

// hold changes the holder count of d's buffer by delta and, when no
// holder is left, gives a pooled buffer back to the arena. Small buffers
// (which the arena never pools) are not counted.
func (a *accumulator) hold(d *nd.Array, delta int) {
	if a.arena == nil || d == nil || cap(d.F) < 256 {
		return
	}
	p := &d.F[:1][0]
	h := a.refs[p]
	if h == nil {
		h = &holders{}
		a.refs[p] = h
	}
	h.n += delta
	h.pooled = h.pooled || d.Pooled
	if h.n <= 0 {
		delete(a.refs, p)
		if h.pooled {
			a.arena.Release(d.F)
		}
	}
}
