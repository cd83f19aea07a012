package ops

import (
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

func sliceDefs() []*Def {
	return []*Def{{Op: "Slice", Build: buildSlice}}
}

// SliceSpec says, per axis of the input, where to start, how many elements
// to take and the step.
type SliceSpec struct {
	Start, Count, Step []int
}

func buildSlice(n *Node) (Kernel, error) {
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		x := in[0]
		if x == nil {
			return nil, n.Errorf("missing input")
		}
		var starts, ends, axes, steps []int
		if n.Opset < 10 {
			starts, ends, axes = n.Attrs.Ints("starts"), n.Attrs.Ints("ends"), n.Attrs.Ints("axes")
		} else {
			if at(in, 1) == nil || at(in, 2) == nil {
				return nil, n.Errorf("starts and ends are required")
			}
			starts, ends = in[1].Ints(), in[2].Ints()
			if a := at(in, 3); a != nil {
				axes = a.Ints()
			}
			if s := at(in, 4); s != nil {
				steps = s.Ints()
			}
		}
		spec, err := sliceSpec(x.Shape, starts, ends, axes, steps)
		if err != nil {
			return nil, n.Errorf("%v", err)
		}
		return SliceArray(x, spec), nil
	}), nil
}

// sliceSpec resolves ONNX Slice arguments (negative indices, clamping,
// negative steps) against shape.
func sliceSpec(shape, starts, ends, axes, steps []int) (*SliceSpec, error) {
	r := len(shape)
	if len(starts) != len(ends) || (axes != nil && len(axes) != len(starts)) || (steps != nil && len(steps) != len(starts)) {
		return nil, errorf("starts %v, ends %v, axes %v and steps %v differ in length", starts, ends, axes, steps)
	}
	sp := &SliceSpec{Start: make([]int, r), Count: append([]int(nil), shape...), Step: make([]int, r)}
	for i := range sp.Step {
		sp.Step[i] = 1
	}
	seen := make([]bool, r)
	for i := range starts {
		a := i
		if axes != nil {
			a = axes[i]
		}
		a, ok := normAxis(a, r)
		if !ok || seen[a] {
			return nil, errorf("invalid axes %v for rank %d", axes, r)
		}
		seen[a] = true
		step := 1
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return nil, errorf("step 0 on axis %d", a)
		}
		dim := shape[a]
		s, e := starts[i], ends[i]
		if s < 0 {
			s += dim
		}
		if e < 0 {
			e += dim
		}
		var cnt int
		if step > 0 {
			s, e = min(max(s, 0), dim), min(max(e, 0), dim)
			cnt = max(0, (e-s+step-1)/step)
		} else {
			s, e = min(max(s, 0), dim-1), min(max(e, -1), dim-1)
			cnt = max(0, (s-e-step-1)/(-step))
		}
		sp.Start[a], sp.Count[a], sp.Step[a] = s, cnt, step
	}
	return sp, nil
}

// SliceArray copies the strided window spec out of x.
func SliceArray(x *nd.Array, spec *SliceSpec) *nd.Array {
	r := x.Rank()
	y := nd.New(x.DType, append([]int(nil), spec.Count...)...)
	if y.Len() == 0 {
		return y
	}
	st := nd.Strides(x.Shape)
	base := 0
	step := make([]int, r)
	for d := 0; d < r; d++ {
		base += spec.Start[d] * st[d]
		step[d] = spec.Step[d] * st[d]
	}
	idx := make([]int, r)
	off := base
	for i := 0; i < y.Len(); i++ {
		if y.DType == nd.Float32 {
			y.F[i] = x.F[off]
		} else {
			y.I[i] = x.I[off]
		}
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			off += step[d]
			if idx[d] < spec.Count[d] {
				break
			}
			off -= step[d] * idx[d]
			idx[d] = 0
		}
	}
	return y
}
