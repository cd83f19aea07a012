package ops

import (
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// vjpSlice scatters g into zeros of the input's shape at the sliced
// positions.
func vjpSlice(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	if !floatGrad(in, gout, need, 0) {
		return res, nil
	}
	n, err := needNode(k, "Slice")
	if err != nil {
		return nil, err
	}
	if err := checkGout("Slice", gout[0], out[0]); err != nil {
		return nil, err
	}
	x, g := in[0], gout[0]
	var starts, ends, axes, steps []int
	if n.Opset < 10 {
		starts, ends, axes = n.Attrs.Ints("starts"), n.Attrs.Ints("ends"), n.Attrs.Ints("axes")
	} else {
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
		return nil, n.Errorf("vjp: %v", err)
	}
	dx := zerosLike(x)
	res[0] = dx
	if g.Len() == 0 {
		return res, nil
	}
	r := x.Rank()
	st := nd.Strides(x.Shape)
	base := 0
	step := make([]int, r)
	for d := 0; d < r; d++ {
		base += spec.Start[d] * st[d]
		step[d] = spec.Step[d] * st[d]
	}
	idx := make([]int, r)
	off := base
	for i := 0; i < g.Len(); i++ {
		dx.F[off] += g.F[i]
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
	return res, nil
}

// padsOf resolves the pads of a forward Pad call as Forward does.
func (k *PadKernel) padsOf(x *nd.Array, in []*nd.Array) ([]int, error) {
	r := x.Rank()
	pads := k.pads
	if k.n.Opset >= 11 {
		if at(in, 1) == nil {
			return nil, k.n.Errorf("vjp: missing pads input")
		}
		pads = in[1].Ints()
		if a := at(in, 3); a != nil {
			axes := a.Ints()
			if len(pads) != 2*len(axes) {
				return nil, k.n.Errorf("vjp: pads %v do not match axes %v", pads, axes)
			}
			full := make([]int, 2*r)
			for i, ax := range axes {
				b, ok := normAxis(ax, r)
				if !ok {
					return nil, k.n.Errorf("vjp: axis %d out of range", ax)
				}
				full[b], full[r+b] = pads[i], pads[len(axes)+i]
			}
			pads = full
		}
	}
	if len(pads) != 2*r {
		return nil, k.n.Errorf("vjp: pads %v do not match shape %v", pads, x.Shape)
	}
	return pads, nil
}

// vjpPad adds each output gradient to the input element it was copied
// from (several for edge and reflect padding); constant padding and
// cropped elements get none.
func vjpPad(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	pk, ok := unbind(k).(*PadKernel)
	if !ok {
		return nil, errorf("Pad vjp: kernel is %T", unbind(k))
	}
	res := grads(len(in))
	if !floatGrad(in, gout, need, 0) {
		return res, nil
	}
	if err := checkGout("Pad", gout[0], out[0]); err != nil {
		return nil, err
	}
	x, g := in[0], gout[0]
	pads, err := pk.padsOf(x, in)
	if err != nil {
		return nil, err
	}
	if nd.EqualShape(g.Shape, x.Shape) && allZero(pads) {
		res[0] = g
		return res, nil
	}
	r := x.Rank()
	dx := zerosLike(x)
	st := nd.Strides(x.Shape)
	idx := make([]int, r)
	for i := 0; i < g.Len(); i++ {
		unravel(i, g.Shape, idx)
		off, inside := 0, true
		for d := 0; d < r && inside; d++ {
			p := idx[d] - pads[d]
			if p < 0 || p >= x.Shape[d] {
				switch pk.Mode {
				case "edge":
					p = min(max(p, 0), x.Shape[d]-1)
				case "reflect":
					p = reflect(p, x.Shape[d])
				default:
					inside = false
				}
			}
			off += p * st[d]
		}
		if inside {
			dx.F[off] += g.F[i]
		}
	}
	res[0] = dx
	return res, nil
}

func allZero(v []int) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}
