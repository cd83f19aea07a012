package autodiff

import (
	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
)

// LinearTail finds the linear tail of a model between the value slot in
// (the input) and the value slot out: the steps computed from in whose
// backward rules read no data of values computed from in (only their
// shapes and the model's constants: Gemm and Conv with constant weights,
// Flatten, Pad, AveragePool, Add, Concat, ...) and whose outputs reach
// out only through such steps. Seeded at out with a gradient that is the
// same for every batch row (a one-hot class seed on a model without a
// final softmax), the gradient the tail sends back is the same for every
// row too, so it can be computed once on a batch of one row per seed and
// repeated (see BackwardSteps).
//
// frontier lists the values where the tail's gradient leaves it: the
// values computed from in that tail steps read and no tail step
// produces. Both are empty when out is not produced by a tail step.
func LinearTail(m *graph.Model, in, out int) (tail []bool, frontier []int) {
	if in < 0 || in >= len(m.Names) || out < 0 || out >= len(m.Names) {
		return nil, nil
	}
	dep := dependents(m, in)
	// consumers[s] lists the steps reading slot s.
	consumers := make([][]int, len(m.Names))
	for i, st := range m.Steps {
		for _, s := range st.In {
			if s >= 0 {
				consumers[s] = append(consumers[s], i)
			}
		}
	}
	reaches := reachingSteps(m, out)
	tail = make([]bool, len(m.Steps))
	for i := len(m.Steps) - 1; i >= 0; i-- {
		tail[i] = reaches[i] && tailStep(&m.Steps[i], dep, consumers, tail, reaches)
	}
	produced := make([]bool, len(m.Names))
	any := false
	for i, st := range m.Steps {
		if !tail[i] {
			continue
		}
		any = true
		for _, o := range st.Out {
			if o >= 0 {
				produced[o] = true
			}
		}
	}
	if !any || !produced[out] {
		return nil, nil
	}
	seen := make([]bool, len(m.Names))
	for i, st := range m.Steps {
		if !tail[i] {
			continue
		}
		for _, s := range st.In {
			if s >= 0 && dep[s] && !produced[s] && !seen[s] {
				seen[s] = true
				frontier = append(frontier, s)
			}
		}
	}
	return tail, frontier
}

// reachingSteps marks the steps with an output from which out is
// computed: only those get a gradient from a seed at out.
func reachingSteps(m *graph.Model, out int) []bool {
	reach := make([]bool, len(m.Names))
	reach[out] = true
	reaches := make([]bool, len(m.Steps))
	for i := len(m.Steps) - 1; i >= 0; i-- {
		for _, o := range m.Steps[i].Out {
			if o >= 0 && reach[o] {
				reaches[i] = true
			}
		}
		if reaches[i] {
			for _, s := range m.Steps[i].In {
				if s >= 0 {
					reach[s] = true
				}
			}
		}
	}
	return reaches
}

// tailStep reports whether st, a step whose outputs reach out, belongs to
// the linear tail, given the verdicts on the steps after it.
func tailStep(st *graph.Step, dep []bool, consumers [][]int, tail, reaches []bool) bool {
	need := make([]bool, len(st.In))
	anyNeed := false
	for j, s := range st.In {
		need[j] = s >= 0 && dep[s]
		anyNeed = anyNeed || need[j]
	}
	if !anyNeed || st.Def.VJP == nil || !ops.ShapeOnlyOutputs(st.Node.Op) {
		return false
	}
	for j := range st.In {
		if need[j] && !ops.ShapeOnlyInput(st.Node.Op, j, need) {
			return false
		}
	}
	// Every output's gradient must come from out or from tail steps.
	for _, o := range st.Out {
		if o < 0 {
			continue
		}
		for _, c := range consumers[o] {
			if reaches[c] && !tail[c] {
				return false
			}
		}
	}
	return true
}

// TailEnv returns an environment for BackwardSteps over a linear tail on
// a batch of rows rows: the values computed from the slot in become
// shapes (rows, *sample) without data, the others are env's.
func TailEnv(m *graph.Model, env *graph.Env, in, rows int) *graph.Env {
	dep := dependents(m, in)
	out := &graph.Env{Values: make([]*nd.Array, len(env.Values))}
	for s, v := range env.Values {
		if s < len(dep) && dep[s] && v != nil && v.DType == nd.Float32 && v.Rank() > 0 {
			out.Values[s] = &nd.Array{DType: nd.Float32, Shape: append([]int{rows}, v.Shape[1:]...)}
			continue
		}
		out.Values[s] = v
	}
	return out
}
