package ops

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// binaryOperands returns A and B as the forward pass broadcast them
// (B reshaped by the legacy broadcast/axis attributes before opset 7).
func binaryOperands(k Kernel, op string, in, out, gout []*nd.Array) (a, b *nd.Array, err error) {
	a, b = at(in, 0), at(in, 1)
	if a == nil || b == nil || a.DType != nd.Float32 || b.DType != nd.Float32 {
		return nil, nil, errorf("%s vjp: inputs must be float", op)
	}
	if err := checkGout(op, gout[0], out[0]); err != nil {
		return nil, nil, err
	}
	if n := nodeOf(k); n != nil {
		if b, err = legacyBroadcast(n, a, b); err != nil {
			return nil, nil, err
		}
	}
	return a, b, nil
}

// reduceTo sums g down to the broadcast shape of an operand, then gives it
// the operand's own shape.
func reduceTo(g, view, orig *nd.Array) *nd.Array {
	r := unbroadcast(g, view.Shape)
	if !nd.EqualShape(r.Shape, orig.Shape) {
		r = r.Reshaped(append([]int(nil), orig.Shape...)...)
	}
	return r
}

// arithVJP builds the VJP of Add, Sub, Mul or Div from the gradients of
// each operand before unbroadcasting.
func arithVJP(op string, da, db func(g, a, b, y *nd.Array) *nd.Array) VJP {
	return func(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
		res := grads(len(in))
		if gout[0] == nil || (!needAt(need, 0) && !needAt(need, 1)) {
			return res, nil
		}
		a, b, err := binaryOperands(k, op, in, out, gout)
		if err != nil {
			return nil, err
		}
		g := gout[0]
		if needAt(need, 0) {
			res[0] = reduceTo(da(g, a, b, out[0]), a, in[0])
		}
		if needAt(need, 1) {
			res[1] = reduceTo(db(g, a, b, out[0]), b, in[1])
		}
		return res, nil
	}
}

func neg(g *nd.Array) *nd.Array {
	out := zerosLike(g)
	for i, v := range g.F {
		out.F[i] = -v
	}
	return out
}

var (
	vjpAdd = arithVJP("Add",
		func(g, _, _, _ *nd.Array) *nd.Array { return g },
		func(g, _, _, _ *nd.Array) *nd.Array { return g })
	vjpSub = arithVJP("Sub",
		func(g, _, _, _ *nd.Array) *nd.Array { return g },
		func(g, _, _, _ *nd.Array) *nd.Array { return neg(g) })
	vjpMul = arithVJP("Mul",
		func(g, _, b, _ *nd.Array) *nd.Array { return bmul(g, b) },
		func(g, a, _, _ *nd.Array) *nd.Array { return bmul(g, a) })
	// d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -y/b.
	vjpDiv = arithVJP("Div",
		func(g, _, b, _ *nd.Array) *nd.Array { return bzip(g, b, func(g, b float32) float32 { return g / b }) },
		func(g, _, b, y *nd.Array) *nd.Array {
			gy := bmul(g, y)
			return bzip(gy, b, func(gy, b float32) float32 { return -gy / b })
		})
)

// vjpPow: d(x^e)/dx = e x^(e-1); d(x^e)/de = x^e ln x, taken as 0 where
// x <= 0 (PyTorch masks x = 0; ln is undefined below).
func vjpPow(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	if gout[0] == nil || (!needAt(need, 0) && !needAt(need, 1)) {
		return res, nil
	}
	x, e := at(in, 0), at(in, 1)
	if x == nil || e == nil || x.DType != nd.Float32 {
		return nil, errorf("Pow vjp: base must be float")
	}
	if err := checkGout("Pow", gout[0], out[0]); err != nil {
		return nil, err
	}
	ev := toFloat(e)
	if n := nodeOf(k); n != nil {
		var err error
		if ev, err = legacyBroadcast(n, x, ev); err != nil {
			return nil, err
		}
	}
	g, y := gout[0], out[0]
	if needAt(need, 0) {
		d := bzip(x, ev, func(x, e float32) float32 {
			if e == 0 {
				return 0
			}
			return e * float32(math.Pow(float64(x), float64(e-1)))
		})
		res[0] = reduceTo(bmul(g, d), x, in[0])
	}
	if needAt(need, 1) && e.DType == nd.Float32 {
		lx := zerosLike(x)
		for i, v := range x.F {
			if v > 0 {
				lx.F[i] = float32(math.Log(float64(v)))
			}
		}
		res[1] = reduceTo(bmul(bmul(g, y), lx), ev, in[1])
	}
	return res, nil
}

// vjpPRelu: x > 0 passes g, else g*slope; the slope gets g*x where x <= 0.
func vjpPRelu(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	if gout[0] == nil || (!needAt(need, 0) && !needAt(need, 1)) {
		return res, nil
	}
	x, slope := at(in, 0), at(in, 1)
	if x == nil || slope == nil || x.DType != nd.Float32 || slope.DType != nd.Float32 {
		return nil, errorf("PRelu vjp: inputs must be float")
	}
	if err := checkGout("PRelu", gout[0], out[0]); err != nil {
		return nil, err
	}
	if n := nodeOf(k); n != nil && n.Opset < 7 && x.Rank() > 2 && slope.Rank() == 1 && slope.Len() == x.Shape[1] {
		shape := []int{slope.Len()}
		for i := 2; i < x.Rank(); i++ {
			shape = append(shape, 1)
		}
		slope = view(slope, shape)
	}
	g := gout[0]
	if needAt(need, 0) {
		gs := bzip(x, slope, func(x, s float32) float32 {
			if x > 0 {
				return 1
			}
			return s
		})
		res[0] = reduceTo(bmul(g, gs), x, in[0])
	}
	if needAt(need, 1) {
		gx := zipGrad(g, x, x, func(g, x, _ float32) float32 {
			if x > 0 {
				return 0
			}
			return g * x
		})
		res[1] = reduceTo(gx, slope, in[1])
	}
	return res, nil
}

// vjpMaxMin sends the gradient of Max or Min to the inputs equal to the
// output, split evenly among ties (PyTorch's maximum/minimum for two).
func vjpMaxMin(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	if gout[0] == nil {
		return res, nil
	}
	y, g := out[0], gout[0]
	if err := checkGout("Max/Min", g, y); err != nil {
		return nil, err
	}
	ties := zerosLike(y)
	for _, x := range in {
		if x == nil || x.DType != nd.Float32 {
			return nil, errorf("Max/Min vjp: inputs must be float")
		}
		nd.NewIndexer(y.Shape, y.Shape, x.Shape).Each(func(i int, o []int) {
			if x.F[o[1]] == y.F[i] {
				ties.F[i]++
			}
		})
	}
	for j, x := range in {
		if !needAt(need, j) {
			continue
		}
		full := zerosLike(y)
		nd.NewIndexer(y.Shape, y.Shape, x.Shape).Each(func(i int, o []int) {
			if x.F[o[1]] == y.F[i] && ties.F[i] > 0 {
				full.F[i] = g.F[i] / ties.F[i]
			}
		})
		res[j] = unbroadcast(full, x.Shape)
	}
	return res, nil
}

// vjpWhere sends g to x where the condition holds and to y elsewhere.
func vjpWhere(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	if gout[0] == nil {
		return res, nil
	}
	c, g := at(in, 0), gout[0]
	if err := checkGout("Where", g, out[0]); err != nil {
		return nil, err
	}
	for j := 1; j <= 2; j++ {
		x := at(in, j)
		if !needAt(need, j) || x == nil || x.DType != nd.Float32 {
			continue
		}
		full := zerosLike(g)
		nd.NewIndexer(g.Shape, g.Shape, c.Shape).Each(func(i int, o []int) {
			if (c.I[o[1]] != 0) == (j == 1) {
				full.F[i] = g.F[i]
			}
		})
		res[j] = unbroadcast(full, x.Shape)
	}
	return res, nil
}
