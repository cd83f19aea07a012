package ops

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

func reduceDefs() []*Def {
	return []*Def{
		{Op: "ReduceMean", Build: func(n *Node) (Kernel, error) { return newReduce(n, "mean", 18) }},
		{Op: "ReduceSum", Build: func(n *Node) (Kernel, error) { return newReduce(n, "sum", 13) }},
		{Op: "ReduceMax", Build: func(n *Node) (Kernel, error) { return newReduce(n, "max", 18) }},
	}
}

// ReduceKernel reduces over Axes (attribute before AxesInputOpset, second
// input from it on; empty means all axes unless NoopEmpty).
type ReduceKernel struct {
	n         *Node
	Kind      string
	Axes      []int
	AxesInput bool
	KeepDims  bool
	NoopEmpty bool
}

func newReduce(n *Node, kind string, axesInputOpset int) (Kernel, error) {
	k := &ReduceKernel{n: n, Kind: kind, KeepDims: n.Attrs.Int("keepdims", 1) != 0,
		NoopEmpty: n.Attrs.Int("noop_with_empty_axes", 0) != 0}
	if n.Opset >= axesInputOpset {
		k.AxesInput = true
	} else {
		k.Axes = n.Attrs.Ints("axes")
	}
	return k, n.Attrs.Err()
}

// Forward reduces in float64 accumulators (float) or int64.
func (k *ReduceKernel) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
	x := in[0]
	if x == nil || x.DType == nd.Bool {
		return nil, k.n.Errorf("input must be float or int64")
	}
	axes := k.Axes
	if k.AxesInput && at(in, 1) != nil {
		axes = in[1].Ints()
	}
	r := x.Rank()
	if len(axes) == 0 {
		if k.NoopEmpty {
			return []*nd.Array{x}, nil
		}
		for i := 0; i < r; i++ {
			axes = append(axes, i)
		}
	}
	red := make([]bool, r)
	for _, a := range axes {
		if a < 0 {
			a += r
		}
		if a < 0 || a >= r {
			return nil, k.n.Errorf("axis out of range in %v for shape %v", axes, x.Shape)
		}
		red[a] = true
	}
	outShape, keep := []int{}, []int{}
	for i, d := range x.Shape {
		if red[i] {
			keep = append(keep, 1)
		} else {
			keep = append(keep, d)
			outShape = append(outShape, d)
		}
	}
	if k.KeepDims {
		outShape = keep
	}
	acc := make([]float64, nd.Size(keep))
	cnt := 1
	for i, d := range x.Shape {
		if red[i] {
			cnt *= d
		}
	}
	if k.Kind == "max" {
		for i := range acc {
			acc[i] = math.Inf(-1)
		}
	}
	st := nd.BroadcastStrides(keep, x.Shape)
	idx := make([]int, r)
	o := 0
	for i := 0; i < x.Len(); i++ {
		v := x.Float(i)
		if k.Kind == "max" {
			if v > acc[o] || v != v {
				acc[o] = v
			}
		} else {
			acc[o] += v
		}
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			o += st[d]
			if idx[d] < x.Shape[d] {
				break
			}
			o -= st[d] * idx[d]
			idx[d] = 0
		}
	}
	if k.Kind == "mean" && cnt > 0 {
		for i := range acc {
			acc[i] /= float64(cnt)
		}
	}
	y := nd.New(x.DType, outShape...)
	for i, v := range acc {
		if y.DType == nd.Float32 {
			y.F[i] = float32(v)
		} else {
			y.I[i] = int64(v)
		}
	}
	return []*nd.Array{y}, nil
}
