package main

import (
	"sync"

	"github.com/arthost/arthost/plugins/onnx/internal/autodiff"
	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
)

// gradState is what gradient calls on one loaded graph reuse: arenas for
// the kept forward activations (act, with their per-class copies) and
// for the gradients (grad), each safe for concurrent use and keeping at
// most nd's arena cap (256 MiB) for reuse, and whether class gradients
// may repeat activations instead of recomputing them. A backward pass
// keeps every intermediate value; allocating them afresh on every call
// costs allocation, zeroing and garbage collection.
type gradState struct {
	act, grad *nd.Arena
	once      sync.Once
	local     bool
	// tail and frontier are the model's linear tail before the output
	// and where its gradient leaves it (autodiff.LinearTail), when the
	// all-class seeds are the same for every sample (no softmax applied
	// by Predict) and the model is batch-local; nil otherwise.
	tail     []bool
	frontier []int
}

// gradStates maps each loaded *graph.Model to its *gradState: a cache of
// buffers keyed by graph, not configuration (one model per process; Fit
// drops the entry of the graph it replaces).
var gradStates sync.Map

func (m *model) buffers() *gradState {
	if s, ok := gradStates.Load(m.g); ok {
		return s.(*gradState)
	}
	s, _ := gradStates.LoadOrStore(m.g, &gradState{act: nd.NewArena(), grad: nd.NewArena()})
	return s.(*gradState)
}

// forgetGraph drops the cached state of a graph that is no longer served.
func forgetGraph(g *graph.Model) { gradStates.Delete(g) }

// batchLocal reports whether class gradients may repeat the kept forward
// values instead of running the model on the repeated batch (see
// autodiff.BatchLocal; checked once per graph, with the first call's
// sample shape).
func (m *model) batchLocal(sample []int) bool {
	s := m.buffers()
	s.once.Do(func() {
		s.local = autodiff.BatchLocal(m.g, m.input, sample)
		if s.local && !m.softmaxOut {
			in, _ := m.g.Slot(m.input)
			out, _ := m.g.Slot(m.output)
			s.tail, s.frontier = autodiff.LinearTail(m.g, in, out)
		}
	})
	return s.local
}

// forwardKeep runs the model on x keeping every intermediate value, with
// buffers from the activation arena; done gives them back once the
// caller no longer reads the environment (gradients are separate arrays).
func (m *model) forwardKeep(x *nd.Array) (*graph.Env, func(), error) {
	act := m.buffers().act
	env, err := m.g.Run(&ops.Ctx{Threads: m.threads, Arena: act}, map[string]*nd.Array{m.input: x}, true)
	if err != nil {
		return nil, nil, err
	}
	return env, func() { m.release(act, env, nil) }, nil
}

// release gives the arena buffers of env's values back to ar, each
// shared buffer once. Values that other (an environment env was derived
// from) also holds are not env's to give back.
func (m *model) release(ar *nd.Arena, env, other *graph.Env) {
	seen := map[*float32]bool{}
	for s, v := range env.Values {
		if v == nil || !v.Pooled || m.g.Consts[s] != nil || cap(v.F) == 0 {
			continue
		}
		if other != nil && other.Values[s] == v {
			continue
		}
		p := &v.F[:1][0]
		if !seen[p] {
			seen[p] = true
			ar.Release(v.F)
		}
	}
}
