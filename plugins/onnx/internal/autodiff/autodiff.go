// Package autodiff is reverse-mode automatic differentiation over a
// planned ONNX graph (plugins/onnx/internal/graph). It walks the recorded
// steps of one forward run backwards from seeded values, calling each
// op's VJP (plugins/onnx/internal/ops, registered by ops.RegisterVJPs),
// and visits only the steps that lie on a path from a requested value to a
// seed: an input gradient never pays for weight gradients, and branches
// that do not reach the seeds are skipped.
//
// The estimator uses it for loss_gradient and class_gradient (seeded at
// the logits) and the trainer for weight gradients (with respect to the
// float initializers).
package autodiff

import (
	"fmt"

	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
)

// Seed is the gradient of the objective with respect to one value:
// Backward differentiates sum over seeds of <Grad, value(Slot)>.
type Seed struct {
	Slot int
	Grad *nd.Array
}

// Backward returns, for each slot in wrt, the gradient of
// sum_s <seeds[s].Grad, value(seeds[s].Slot)> with respect to that value,
// given env from m.Run(ctx, feeds, true) (every intermediate kept). With
// ctx.Arena set, VJPs draw their outputs from it and intermediate
// gradients go back to it as soon as no gradient holds them (the
// returned ones excepted); it must not be the arena of env's values. A
// value the seeds do not depend on gets a zero gradient. It fails, naming
// the node, when a step on the path has no VJP (an op marked NoGrad, or
// a registry without ops.RegisterVJPs) or a VJP fails; it never panics.
func Backward(ctx *ops.Ctx, m *graph.Model, env *graph.Env, seeds []Seed, wrt []int) ([]*nd.Array, error) {
	return backward(ctx, m, env, seeds, wrt, false, nil)
}

// BackwardSteps is Backward visiting only the steps i with only[i] set
// (the others are treated as absent): it differentiates a part of the
// graph, such as a linear tail (see LinearTail) on shape-only values.
func BackwardSteps(ctx *ops.Ctx, m *graph.Model, env *graph.Env, seeds []Seed, wrt []int, only []bool) ([]*nd.Array, error) {
	if len(only) != len(m.Steps) {
		return nil, fmt.Errorf("backward: step mask of %d for %d steps", len(only), len(m.Steps))
	}
	return backward(ctx, m, env, seeds, wrt, false, only)
}

// BackwardTrain is Backward for an env from Forward with train set:
// BatchNormalization nodes are differentiated through their batch
// statistics.
func BackwardTrain(ctx *ops.Ctx, m *graph.Model, env *graph.Env, seeds []Seed, wrt []int) ([]*nd.Array, error) {
	return backward(ctx, m, env, seeds, wrt, true, nil)
}

func backward(ctx *ops.Ctx, m *graph.Model, env *graph.Env, seeds []Seed, wrt []int, train bool, only []bool) ([]*nd.Array, error) {
	nslots := len(m.Names)
	if env == nil || len(env.Values) != nslots {
		return nil, fmt.Errorf("backward: environment does not belong to this model")
	}
	dep := make([]bool, nslots)
	keep := make([]bool, nslots)
	for _, w := range wrt {
		if w < 0 || w >= nslots {
			return nil, fmt.Errorf("backward: no value slot %d", w)
		}
		dep[w], keep[w] = true, true
	}
	for _, st := range m.Steps {
		if anyDep(dep, st.In) {
			for _, o := range st.Out {
				if o >= 0 {
					dep[o] = true
				}
			}
		}
	}
	var arena *nd.Arena
	if ctx != nil {
		arena = ctx.Arena
	}
	acc := newAccumulator(nslots, arena)
	for _, s := range seeds {
		if s.Slot < 0 || s.Slot >= nslots || env.Values[s.Slot] == nil {
			return nil, fmt.Errorf("backward: seed for slot %d, which has no value", s.Slot)
		}
		if v := env.Values[s.Slot]; s.Grad == nil || !nd.EqualShape(s.Grad.Shape, v.Shape) {
			return nil, fmt.Errorf("backward: seed for %q has shape %v, value has %v", m.Names[s.Slot], shapeOf(s.Grad), v.Shape)
		}
		if dep[s.Slot] {
			acc.add(s.Slot, s.Grad)
		}
	}
	for i := len(m.Steps) - 1; i >= 0; i-- {
		if only != nil && !only[i] {
			continue
		}
		if err := step(ctx, &m.Steps[i], env, dep, keep, acc, train); err != nil {
			return nil, err
		}
	}
	out := make([]*nd.Array, len(wrt))
	for i, w := range wrt {
		g := acc.g[w]
		if g == nil && env.Values[w] != nil {
			g = nd.NewF(append([]int(nil), env.Values[w].Shape...)...)
		}
		out[i] = g
	}
	return out, nil
}

// step runs the VJP of one step when a gradient reaches one of its
// outputs and one of its inputs depends on a requested value.
func step(ctx *ops.Ctx, st *graph.Step, env *graph.Env, dep, keep []bool, acc *accumulator, train bool) error {
	gout := make([]*nd.Array, len(st.Out))
	has := false
	for j, o := range st.Out {
		if o >= 0 && acc.g[o] != nil {
			gout[j], has = acc.g[o], true
		}
	}
	if !has {
		return nil
	}
	need := make([]bool, len(st.In))
	any := false
	for j, s := range st.In {
		if s >= 0 && dep[s] && env.Values[s] != nil && env.Values[s].DType == nd.Float32 {
			need[j], any = true, true
		}
	}
	if !any {
		return nil
	}
	n := st.Node
	vjp := st.Def.VJP
	if train && n.Op == "BatchNormalization" {
		vjp = ops.VJPBatchNormTrain
	}
	if vjp == nil {
		why := st.Def.NoGrad
		if why == "" {
			why = "no backward rule registered"
		}
		return fmt.Errorf("backward: %s node %q has no gradient (%s)", n.Op, n.Name, why)
	}
	in := values(env, st.In)
	out := values(env, st.Out)
	if len(st.Out) == 1 && st.Out[0] >= 0 && !keep[st.Out[0]] && acc.exclusive(st.Out[0]) {
		// The output's gradient dies with this step: its buffer may be
		// reused for the input gradient.
		owned := *ctx
		owned.GoutOwned = true
		ctx = &owned
	}
	res, err := callVJP(ctx, st, vjp, in, out, gout, need)
	if err != nil {
		return err
	}
	for j, s := range st.In {
		if !need[j] || j >= len(res) || res[j] == nil {
			continue
		}
		if !nd.EqualShape(res[j].Shape, in[j].Shape) || res[j].DType != nd.Float32 {
			return fmt.Errorf("backward: %s node %q: gradient of input %d has shape %v, input has %v", n.Op, n.Name, j, res[j].Shape, in[j].Shape)
		}
		acc.add(s, res[j])
	}
	for _, o := range st.Out {
		if o >= 0 && !keep[o] {
			acc.drop(o)
		}
	}
	return nil
}

// callVJP runs a VJP with the kernel bound to its node, turning a panic
// into an error naming the node.
func callVJP(ctx *ops.Ctx, st *graph.Step, vjp ops.VJP, in, out, gout []*nd.Array, need []bool) (res []*nd.Array, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("backward: %s node %q: internal error: %v", st.Node.Op, st.Node.Name, r)
		}
	}()
	res, err = vjp(ctx, ops.Bound{Kernel: st.Kernel, Node: st.Node}, in, out, gout, need)
	if err != nil {
		return nil, fmt.Errorf("backward: %s node %q: %w", st.Node.Op, st.Node.Name, err)
	}
	return res, nil
}

func anyDep(dep []bool, slots []int) bool {
	for _, s := range slots {
		if s >= 0 && dep[s] {
			return true
		}
	}
	return false
}

func values(env *graph.Env, slots []int) []*nd.Array {
	v := make([]*nd.Array, len(slots))
	for j, s := range slots {
		if s >= 0 {
			v[j] = env.Values[s]
		}
	}
	return v
}

func shapeOf(a *nd.Array) []int {
	if a == nil {
		return nil
	}
	return a.Shape
}
