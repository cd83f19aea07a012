package ops

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// binaryFns are the float and integer forms of one arithmetic op; a nil
// form means the dtype is refused.
type binaryFns struct {
	f func(x, y float32) float32
	i func(x, y int64) int64
}

func binaryDefs() []*Def {
	arith := map[string]binaryFns{
		"Add": {func(x, y float32) float32 { return x + y }, func(x, y int64) int64 { return x + y }},
		"Sub": {func(x, y float32) float32 { return x - y }, func(x, y int64) int64 { return x - y }},
		"Mul": {func(x, y float32) float32 { return x * y }, func(x, y int64) int64 { return x * y }},
		"Div": {func(x, y float32) float32 { return x / y }, func(x, y int64) int64 {
			if y == 0 {
				return 0
			}
			return x / y
		}},
	}
	var defs []*Def
	for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
		fns := arith[op]
		defs = append(defs, &Def{Op: op, Build: func(n *Node) (Kernel, error) {
			return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
				b, err := legacyBroadcast(n, in[0], at(in, 1))
				if err != nil {
					return nil, err
				}
				return binaryCtx(ctx, n, in[0], b, fns)
			}), nil
		}})
	}
	defs = append(defs,
		&Def{Op: "Pow", Build: buildPow},
		&Def{Op: "PRelu", Build: func(n *Node) (Kernel, error) {
			return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
				x, slope := in[0], at(in, 1)
				if n.Opset < 7 && x != nil && slope != nil && x.Rank() > 2 && slope.Rank() == 1 && slope.Len() == x.Shape[1] {
					// Before opset 7 a 1-D slope is per channel (axis 1).
					shape := []int{slope.Len()}
					for i := 2; i < x.Rank(); i++ {
						shape = append(shape, 1)
					}
					slope = view(slope, shape)
				}
				return binary(n, x, slope, binaryFns{f: func(x, s float32) float32 {
					if x < 0 {
						return s * x
					}
					return x
				}})
			}), nil
		}},
		variadic("Max", binaryFns{func(x, y float32) float32 {
			if x != x || y != y {
				return float32(math.NaN())
			}
			return max(x, y)
		}, func(x, y int64) int64 { return max(x, y) }}),
		variadic("Min", binaryFns{func(x, y float32) float32 {
			if x != x || y != y {
				return float32(math.NaN())
			}
			return min(x, y)
		}, func(x, y int64) int64 { return min(x, y) }}),
		&Def{Op: "Equal", NoGrad: "boolean output", Build: buildEqual},
		&Def{Op: "Where", Build: buildWhere},
	)
	return defs
}

// legacyBroadcast implements the broadcast=1/axis attributes of opsets
// before 7: B's dimensions align with A's starting at axis, so B gets
// trailing ones appended before numpy broadcasting.
func legacyBroadcast(n *Node, a, b *nd.Array) (*nd.Array, error) {
	if n.Opset >= 7 || a == nil || b == nil || n.Attrs.Int("broadcast", 0) == 0 || !n.Attrs.Has("axis") {
		return b, nil
	}
	axis := n.Attrs.Int("axis", 0)
	if axis < 0 {
		axis += a.Rank()
	}
	pad := a.Rank() - axis - b.Rank()
	if axis < 0 || pad < 0 {
		return nil, n.Errorf("axis %d does not align B %v with A %v", n.Attrs.Int("axis", 0), b.Shape, a.Shape)
	}
	shape := append([]int(nil), b.Shape...)
	for ; pad > 0; pad-- {
		shape = append(shape, 1)
	}
	return view(b, shape), nil
}

// binary applies fns elementwise with numpy broadcasting.
func binary(n *Node, a, b *nd.Array, fns binaryFns) (*nd.Array, error) {
	return binaryCtx(nil, n, a, b, fns)
}

// binaryCtx is binary with the float output taken from ctx's arena.
func binaryCtx(ctx *Ctx, n *Node, a, b *nd.Array, fns binaryFns) (*nd.Array, error) {
	if a == nil || b == nil {
		return nil, n.Errorf("missing input")
	}
	if a.DType != b.DType && !(a.DType == nd.Int64 && b.DType == nd.Bool) {
		return nil, n.Errorf("input types differ: %s and %s", a.DType, b.DType)
	}
	shape, err := nd.BroadcastShape(a.Shape, b.Shape)
	if err != nil {
		return nil, n.Errorf("%v", err)
	}
	switch {
	case a.DType == nd.Float32 && fns.f != nil:
		out := ctx.newOut(shape...)
		broadcastLoop(shape, a.Shape, b.Shape, func(o, ia, ib, cnt, sa, sb int) {
			dst, x, y := out.F[o:o+cnt], a.F[ia:], b.F[ib:]
			switch {
			case sa == 1 && sb == 1:
				y = y[:cnt]
				for k := range dst {
					dst[k] = fns.f(x[k], y[k])
				}
			case sa == 1:
				yv := y[0]
				for k := range dst {
					dst[k] = fns.f(x[k], yv)
				}
			default:
				for k := range dst {
					dst[k] = fns.f(x[k*sa], y[k*sb])
				}
			}
		})
		return out, nil
	case a.DType == nd.Int64 && fns.i != nil:
		out := nd.NewI(shape...)
		broadcastLoop(shape, a.Shape, b.Shape, func(o, ia, ib, cnt, sa, sb int) {
			for k := 0; k < cnt; k++ {
				out.I[o+k] = fns.i(a.I[ia+k*sa], b.I[ib+k*sb])
			}
		})
		return out, nil
	}
	return nil, n.Errorf("unsupported input type %s", a.DType)
}

// broadcastLoop walks out (the broadcast of shapes sa and sb) one
// innermost row at a time, calling row(outOffset, aOffset, bOffset, count,
// aStride, bStride), where the strides are 0 or 1 along the row.
func broadcastLoop(out, sa, sb []int, row func(o, ia, ib, cnt, sa, sb int)) {
	r := len(out)
	if r == 0 {
		row(0, 0, 0, 1, 0, 0)
		return
	}
	ta, tb := nd.BroadcastStrides(sa, out), nd.BroadcastStrides(sb, out)
	total := nd.Size(out)
	switch {
	case total == 0:
		return
	case nd.EqualShape(sa, out) && nd.EqualShape(sb, out):
		row(0, 0, 0, total, 1, 1)
		return
	case nd.EqualShape(sa, out) && nd.Size(sb) == 1:
		row(0, 0, 0, total, 1, 0)
		return
	case nd.Size(sa) == 1 && nd.EqualShape(sb, out):
		row(0, 0, 0, total, 0, 1)
		return
	}
	cnt, sta, stb, outer := out[r-1], ta[r-1], tb[r-1], r-1
	if cnt == 0 {
		return
	}
	idx := make([]int, outer)
	ia, ib := 0, 0
	for o := 0; o < total; o += cnt {
		row(o, ia, ib, cnt, sta, stb)
		for d := outer - 1; d >= 0; d-- {
			idx[d]++
			ia += ta[d]
			ib += tb[d]
			if idx[d] < out[d] {
				break
			}
			ia -= ta[d] * idx[d]
			ib -= tb[d] * idx[d]
			idx[d] = 0
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// variadic folds a binary op over any number of broadcast inputs.
func variadic(op string, fns binaryFns) *Def {
	return &Def{Op: op, Build: func(n *Node) (Kernel, error) {
		return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
			if len(in) == 0 || in[0] == nil {
				return nil, n.Errorf("needs at least one input")
			}
			acc := in[0]
			for _, x := range in[1:] {
				var err error
				if acc, err = binary(n, acc, x, fns); err != nil {
					return nil, err
				}
			}
			if len(in) == 1 {
				acc = acc.Clone()
			}
			return acc, nil
		}), nil
	}}
}

// buildPow is x^y with numpy broadcasting; y may be float or int64.
func buildPow(n *Node) (Kernel, error) {
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		x, y := in[0], in[1]
		if x == nil || y == nil {
			return nil, n.Errorf("missing input")
		}
		y, err := legacyBroadcast(n, x, y)
		if err != nil {
			return nil, err
		}
		if x.DType == nd.Int64 {
			// The result has the base's type: integer powers truncate.
			xf, err := binary(n, toFloat(x), toFloat(y), binaryFns{f: powf})
			if err != nil {
				return nil, err
			}
			return Cast(xf, nd.Int64), nil
		}
		if x.DType != nd.Float32 {
			return nil, n.Errorf("base must be float or int, got %s", x.DType)
		}
		return binary(n, x, toFloat(y), binaryFns{f: powf})
	}), nil
}

func powf(x, y float32) float32 {
	switch y {
	case 2:
		return x * x
	case 1:
		return x
	case 0.5:
		return float32(math.Sqrt(float64(x)))
	}
	return float32(math.Pow(float64(x), float64(y)))
}

func toFloat(a *nd.Array) *nd.Array {
	if a.DType == nd.Float32 {
		return a
	}
	out := nd.NewF(append([]int(nil), a.Shape...)...)
	for i, v := range a.I {
		out.F[i] = float32(v)
	}
	return out
}

func buildEqual(n *Node) (Kernel, error) {
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		a, b := in[0], in[1]
		if a == nil || b == nil {
			return nil, n.Errorf("missing input")
		}
		if a.DType != b.DType {
			return nil, n.Errorf("input types differ: %s and %s", a.DType, b.DType)
		}
		shape, err := nd.BroadcastShape(a.Shape, b.Shape)
		if err != nil {
			return nil, n.Errorf("%v", err)
		}
		out := nd.NewB(shape...)
		broadcastLoop(shape, a.Shape, b.Shape, func(o, ia, ib, cnt, sa, sb int) {
			for k := 0; k < cnt; k++ {
				var eq bool
				if a.DType == nd.Float32 {
					eq = a.F[ia+k*sa] == b.F[ib+k*sb]
				} else {
					eq = a.I[ia+k*sa] == b.I[ib+k*sb]
				}
				out.I[o+k] = int64(boolInt(eq))
			}
		})
		return out, nil
	}), nil
}

// buildWhere selects x where cond is true, else y, broadcasting all three.
func buildWhere(n *Node) (Kernel, error) {
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		c, x, y := in[0], in[1], in[2]
		if c == nil || x == nil || y == nil {
			return nil, n.Errorf("missing input")
		}
		if x.DType != y.DType {
			return nil, n.Errorf("x and y types differ: %s and %s", x.DType, y.DType)
		}
		shape, err := nd.BroadcastShape(c.Shape, x.Shape, y.Shape)
		if err != nil {
			return nil, n.Errorf("%v", err)
		}
		out := nd.New(x.DType, shape...)
		nd.NewIndexer(shape, c.Shape, x.Shape, y.Shape).Each(func(i int, o []int) {
			src, off := y, o[2]
			if c.I[o[0]] != 0 {
				src, off = x, o[1]
			}
			if out.DType == nd.Float32 {
				out.F[i] = src.F[off]
			} else {
				out.I[i] = src.I[off]
			}
		})
		return out, nil
	}), nil
}
