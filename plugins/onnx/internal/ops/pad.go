package ops

import (
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

func padDefs() []*Def {
	return []*Def{{Op: "Pad", Build: buildPad}}
}

// PadKernel pads (or, with negative pads, crops) every axis in constant,
// reflect or edge mode. Before opset 11 pads and value are attributes;
// from 11 on they are inputs (and from 18 an optional axes input).
type PadKernel struct {
	n     *Node
	Mode  string
	pads  []int
	value float32
}

func buildPad(n *Node) (Kernel, error) {
	k := &PadKernel{n: n, Mode: n.Attrs.String("mode", "constant")}
	if n.Opset < 11 {
		k.pads = n.Attrs.Ints("pads")
		if k.pads == nil {
			k.pads = n.Attrs.Ints("paddings")
		}
		k.value = n.Attrs.Float("value", 0)
	}
	switch k.Mode {
	case "constant", "reflect", "edge":
	default:
		return nil, n.Errorf("unsupported mode %q", k.Mode)
	}
	return k, n.Attrs.Err()
}

// Forward pads x.
func (k *PadKernel) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
	x := in[0]
	if x == nil {
		return nil, k.n.Errorf("missing input")
	}
	r := x.Rank()
	pads, value := k.pads, k.value
	var ivalue int64
	if k.n.Opset >= 11 {
		if at(in, 1) == nil {
			return nil, k.n.Errorf("missing pads input")
		}
		pads = in[1].Ints()
		if c := at(in, 2); c != nil && c.Len() > 0 {
			if c.DType == nd.Float32 {
				value = c.F[0]
			} else {
				ivalue = c.I[0]
			}
		}
		if a := at(in, 3); a != nil {
			axes := a.Ints()
			if len(pads) != 2*len(axes) {
				return nil, k.n.Errorf("pads %v do not match axes %v", pads, axes)
			}
			full := make([]int, 2*r)
			for i, ax := range axes {
				b, ok := normAxis(ax, r)
				if !ok {
					return nil, k.n.Errorf("axis %d out of range for shape %v", ax, x.Shape)
				}
				full[b], full[r+b] = pads[i], pads[len(axes)+i]
			}
			pads = full
		}
	}
	if len(pads) != 2*r {
		return nil, k.n.Errorf("pads %v do not match shape %v", pads, x.Shape)
	}
	shape := make([]int, r)
	for d := 0; d < r; d++ {
		shape[d] = x.Shape[d] + pads[d] + pads[r+d]
		if shape[d] < 0 {
			return nil, k.n.Errorf("pads %v crop more than shape %v", pads, x.Shape)
		}
		if k.Mode != "constant" && x.Shape[d] == 0 && shape[d] > 0 {
			return nil, k.n.Errorf("cannot %s-pad an empty axis", k.Mode)
		}
		if k.Mode == "reflect" && x.Shape[d] == 1 && shape[d] > 1 {
			return nil, k.n.Errorf("cannot reflect-pad an axis of size 1")
		}
	}
	if _, err := nd.CheckedSize(toInt64s(shape)); err != nil {
		return nil, k.n.Errorf("%v", err)
	}
	if k.Mode == "constant" && x.DType == nd.Float32 && nonNegative(pads) {
		return []*nd.Array{padConstRows(ctx, x, shape, pads, value)}, nil
	}
	y := nd.New(x.DType, shape...)
	st := nd.Strides(x.Shape)
	idx := make([]int, r)
	for i := 0; i < y.Len(); i++ {
		unravel(i, shape, idx)
		off, inside := 0, true
		for d := 0; d < r; d++ {
			p := idx[d] - pads[d]
			if p < 0 || p >= x.Shape[d] {
				switch k.Mode {
				case "constant":
					inside = false
				case "edge":
					p = min(max(p, 0), x.Shape[d]-1)
				case "reflect":
					p = reflect(p, x.Shape[d])
				}
			}
			if !inside {
				break
			}
			off += p * st[d]
		}
		switch {
		case y.DType == nd.Float32 && inside:
			y.F[i] = x.F[off]
		case y.DType == nd.Float32:
			y.F[i] = value
		case inside:
			y.I[i] = x.I[off]
		default:
			y.I[i] = ivalue
		}
	}
	return []*nd.Array{y}, nil
}

// reflect maps p into [0, n) by mirroring without repeating the edge.
func reflect(p, n int) int {
	period := 2 * (n - 1)
	p %= period
	if p < 0 {
		p += period
	}
	if p >= n {
		p = period - p
	}
	return p
}

func nonNegative(v []int) bool {
	for _, x := range v {
		if x < 0 {
			return false
		}
	}
	return true
}

// padConstRows is constant padding of a float tensor by pads >= 0: the
// output is filled with value (unless nothing is padded) and each
// innermost row of x is copied to its place whole, instead of
// locating every output element.
func padConstRows(ctx *Ctx, x *nd.Array, shape, pads []int, value float32) *nd.Array {
	r := x.Rank()
	y := ctx.newOut(shape...)
	if allZero(pads) {
		copy(y.F, x.F)
		return y
	}
	for i := range y.F {
		y.F[i] = value
	}
	if x.Len() == 0 {
		return y
	}
	if r == 0 {
		copy(y.F, x.F)
		return y
	}
	row := x.Shape[r-1]
	yst := nd.Strides(shape)
	idx := make([]int, r)
	for src := 0; src < x.Len(); src += row {
		unravel(src, x.Shape, idx)
		off := 0
		for d := 0; d < r; d++ {
			off += (idx[d] + pads[d]) * yst[d]
		}
		copy(y.F[off:off+row], x.F[src:src+row])
	}
	return y
}
