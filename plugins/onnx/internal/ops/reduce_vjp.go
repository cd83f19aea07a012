package ops

import (
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// reduceAxes resolves the reduced axes of a forward call as Forward does;
// nil with ok means the no-op case (empty axes with noop_with_empty_axes).
func (k *ReduceKernel) reduceAxes(in []*nd.Array) (red []bool, noop bool, err error) {
	x := in[0]
	axes := k.Axes
	if k.AxesInput && at(in, 1) != nil {
		axes = in[1].Ints()
	}
	r := x.Rank()
	if len(axes) == 0 {
		if k.NoopEmpty {
			return nil, true, nil
		}
		for i := 0; i < r; i++ {
			axes = append(axes, i)
		}
	}
	red = make([]bool, r)
	for _, a := range axes {
		if a < 0 {
			a += r
		}
		if a < 0 || a >= r {
			return nil, false, k.n.Errorf("vjp: axis out of range in %v for shape %v", axes, x.Shape)
		}
		red[a] = true
	}
	return red, false, nil
}

// vjpReduce is the backward rule of ReduceSum (g broadcast back),
// ReduceMean (g/count broadcast back) and ReduceMax (g split evenly among
// the elements equal to the maximum, as PyTorch's amax).
func vjpReduce(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	rk, ok := unbind(k).(*ReduceKernel)
	if !ok {
		return nil, errorf("reduce vjp: kernel is %T", unbind(k))
	}
	res := grads(len(in))
	if !floatGrad(in, gout, need, 0) {
		return res, nil
	}
	if err := checkGout(rk.n.Op, gout[0], out[0]); err != nil {
		return nil, err
	}
	x, g, y := in[0], gout[0], out[0]
	red, noop, err := rk.reduceAxes(in)
	if err != nil {
		return nil, err
	}
	if noop {
		res[0] = g
		return res, nil
	}
	keep := make([]int, x.Rank())
	cnt := 1
	for i, d := range x.Shape {
		keep[i] = d
		if red[i] {
			keep[i] = 1
			cnt *= d
		}
	}
	dx := zerosLike(x)
	ix := nd.NewIndexer(x.Shape, keep)
	switch rk.Kind {
	case "sum", "mean":
		scale := float32(1)
		if rk.Kind == "mean" && cnt > 0 {
			scale = 1 / float32(cnt)
		}
		ix.Each(func(i int, o []int) { dx.F[i] = g.F[o[0]] * scale })
	case "max":
		ties := make([]float32, y.Len())
		ix.Each(func(i int, o []int) {
			if x.F[i] == y.F[o[0]] {
				ties[o[0]]++
			}
		})
		ix.Each(func(i int, o []int) {
			if x.F[i] == y.F[o[0]] {
				dx.F[i] = g.F[o[0]] / ties[o[0]]
			}
		})
	}
	res[0] = dx
	return res, nil
}
