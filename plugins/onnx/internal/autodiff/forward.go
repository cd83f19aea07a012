package autodiff

import (
	"fmt"

	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
)

// BatchStats are the batch statistics one BatchNormalization node used in
// a training-mode Forward: per channel mean and biased variance over
// Count values.
type BatchStats struct {
	// Step indexes m.Steps; Mean and Var are per channel.
	Step      int
	Mean, Var []float64
	Count     int
}

// Forward runs m's steps on feeds keeping every value, like m.Run with
// keep set, with two differences for training: consts, when non-nil at a
// slot, replace the model's constant there (the trainer's current
// weights; m.Consts is never modified), and with train set every
// BatchNormalization node normalises with the statistics of the batch,
// which are returned so the caller can update the running statistics.
// Dropout stays the identity.
func Forward(ctx *ops.Ctx, m *graph.Model, consts []*nd.Array, feeds map[string]*nd.Array, train bool) (*graph.Env, []BatchStats, error) {
	if ctx == nil {
		ctx = &ops.Ctx{}
	}
	env := &graph.Env{Values: make([]*nd.Array, len(m.Names))}
	copy(env.Values, m.Consts)
	for s, c := range consts {
		if c != nil && s < len(env.Values) {
			env.Values[s] = c
		}
	}
	for _, in := range m.Inputs {
		v, ok := feeds[in.Name]
		if !ok || v == nil {
			return nil, nil, fmt.Errorf("missing input %q", in.Name)
		}
		if v.DType != in.DType || (in.HasShape && len(v.Shape) != len(in.Shape)) {
			return nil, nil, fmt.Errorf("input %q: %s %v does not match the declared %s %v", in.Name, v.DType, v.Shape, in.DType, in.Shape)
		}
		s, _ := m.Slot(in.Name)
		env.Values[s] = v
	}
	var stats []BatchStats
	for i := range m.Steps {
		st := &m.Steps[i]
		args := values(env, st.In)
		outs, bs, err := run(ctx, st, args, train)
		if err != nil {
			return nil, nil, err
		}
		if bs != nil {
			bs.Step = i
			stats = append(stats, *bs)
		}
		for j, s := range st.Out {
			if s >= 0 {
				if j >= len(outs) || outs[j] == nil {
					return nil, nil, fmt.Errorf("%s node %q: output %d is not computed", st.Node.Op, st.Node.Name, j)
				}
				env.Values[s] = outs[j]
			}
		}
	}
	return env, stats, nil
}

// run executes one step, turning a panic into an error naming the node.
func run(ctx *ops.Ctx, st *graph.Step, args []*nd.Array, train bool) (outs []*nd.Array, bs *BatchStats, err error) {
	defer func() {
		if r := recover(); r != nil {
			outs, bs, err = nil, nil, fmt.Errorf("%s node %q: internal error: %v", st.Node.Op, st.Node.Name, r)
		}
	}()
	if train && st.Node.Op == "BatchNormalization" {
		y, mean, vr, err := ops.BatchNormTrain(ops.Bound{Kernel: st.Kernel, Node: st.Node}, args)
		if err != nil {
			return nil, nil, err
		}
		return []*nd.Array{y}, &BatchStats{Mean: mean, Var: vr, Count: y.Len() / len(mean)}, nil
	}
	outs, err = st.Kernel.Forward(ctx, args)
	return outs, nil, err
}
