package ops

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// unaryVJP builds the backward rule of an elementwise op whose derivative
// is df(g, x, y) = g * f'(x), given input x and output y.
func unaryVJP(op string, df func(g, x, y float32) float32) VJP {
	return func(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
		res := grads(len(in))
		if !needAt(need, 0) || gout[0] == nil {
			return res, nil
		}
		if err := checkGout(op, gout[0], out[0]); err != nil {
			return nil, err
		}
		res[0] = zipGrad(gout[0], in[0], out[0], df)
		return res, nil
	}
}

// unaryNodeVJP is unaryVJP for ops whose derivative depends on attributes.
func unaryNodeVJP(op string, mk func(n *Node) func(g, x, y float32) float32) VJP {
	return func(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
		n, err := needNode(k, op)
		if err != nil {
			return nil, err
		}
		return unaryVJP(op, mk(n))(ctx, k, in, out, gout, need)
	}
}

// sliceVJP builds the backward rule of an elementwise op from a loop over
// whole slices (dx, g, x, y of equal length), for hot ops where a call per
// element would dominate. The loop reads x or y (the one it does not
// read is passed as nil, and may be a shape without data; see
// ShapeOnlyInput and ShapeOnlyOutputs).
func sliceVJP(op string, readsX bool, loop func(dx, g, x, y []float32)) VJP {
	return func(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
		res := grads(len(in))
		if !needAt(need, 0) || gout[0] == nil {
			return res, nil
		}
		if err := checkGout(op, gout[0], out[0]); err != nil {
			return nil, err
		}
		x, y, g := in[0], out[0], gout[0]
		xf, yf, rep, err := sliceOperands(op, x, y, g, readsX)
		if err != nil {
			return nil, err
		}
		var dx *nd.Array
		if ctx != nil && ctx.GoutOwned {
			dx = g // every element is read before it is written
		} else {
			dx = ctx.newOut(append([]int(nil), x.Shape...)...)
		}
		if rep > 1 {
			// x or y holds one row per rep rows of g (RepeatReadInput).
			repeatRows(dx.F, g.F, xf, yf, x.Shape[0], rep, loop)
			res[0] = dx
			return res, nil
		}
		loop(dx.F, g.F, xf, yf)
		res[0] = dx
		return res, nil
	}
}

// sliceOperands returns the data a sliceVJP loop reads (x's or y's, the
// other nil) and its row repeat (1, or nd.Array.RowRepeat), checking
// them against the gradient g.
func sliceOperands(op string, x, y, g *nd.Array, readsX bool) (xf, yf []float32, rep int, err error) {
	if readsX {
		xf, rep = x.F, x.RowRepeat
	} else {
		yf, rep = y.F, y.RowRepeat
	}
	if rep = max(rep, 1); (len(xf)+len(yf))*rep != len(g.F) || !nd.EqualShape(x.Shape, g.Shape) ||
		rep > 1 && (x.Rank() == 0 || x.Shape[0]%rep != 0) {
		return nil, nil, 0, errorf("%s vjp: input %v, output %v and gradient %v differ", op, x.Shape, y.Shape, g.Shape)
	}
	return xf, yf, rep, nil
}

// repeatRows runs an elementwise backward loop on rows of dx and g
// against the row-repeated x or y (one stored row per rep rows).
func repeatRows(dx, g, x, y []float32, rows, rep int, loop func(dx, g, x, y []float32)) {
	per := len(g) / rows
	for r := 0; r < rows; r++ {
		src := (r / rep) * per
		var xr, yr []float32
		if x != nil {
			xr = x[src : src+per]
		}
		if y != nil {
			yr = y[src : src+per]
		}
		loop(dx[r*per:(r+1)*per], g[r*per:(r+1)*per], xr, yr)
	}
}

// Relu: dy/dx = 1 for x > 0, else 0 (PyTorch's choice at 0).
// The loop has no branch (random signs defeat the branch predictor): x > 0
// exactly when its bits, as a signed integer, are positive (-0 is the most
// negative), and the sign of -bits, smeared over the word, masks g.
var vjpRelu = sliceVJP("Relu", true, func(dx, g, x, _ []float32) {
	x = x[:len(dx)]
	g = g[:len(dx)]
	done := reluMaskFast(dx, g, x)
	dx, g, x = dx[done:], g[done:], x[done:]
	for i, v := range x {
		b := int64(int32(math.Float32bits(v)))
		mask := uint32(uint64(-b) >> 63)
		dx[i] = math.Float32frombits(math.Float32bits(g[i]) & -mask)
	}
})

// LeakyRelu: 1 for x > 0, alpha otherwise (PyTorch: alpha at 0).
func vjpLeakyRelu(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	n, err := needNode(k, "LeakyRelu")
	if err != nil {
		return nil, err
	}
	alpha := n.Attrs.Float("alpha", 0.01)
	return sliceVJP("LeakyRelu", true, func(dx, g, x, _ []float32) {
		x = x[:len(dx)]
		g = g[:len(dx)]
		for i, v := range x {
			s := alpha
			if v > 0 {
				s = 1
			}
			dx[i] = g[i] * s
		}
	})(ctx, k, in, out, gout, need)
}

// Sigmoid: y(1-y).
var vjpSigmoid = sliceVJP("Sigmoid", false, func(dx, g, _, y []float32) {
	y = y[:len(dx)]
	g = g[:len(dx)]
	for i, v := range y {
		dx[i] = g[i] * v * (1 - v)
	}
})

// Tanh: 1-y².
var vjpTanh = sliceVJP("Tanh", false, func(dx, g, _, y []float32) {
	y = y[:len(dx)]
	g = g[:len(dx)]
	for i, v := range y {
		dx[i] = g[i] * (1 - v*v)
	}
})

// Exp: y.
var vjpExp = unaryVJP("Exp", func(g, _, y float32) float32 { return g * y })

// Log: 1/x.
var vjpLog = unaryVJP("Log", func(g, x, _ float32) float32 { return g / x })

// Sqrt: 1/(2y).
var vjpSqrt = unaryVJP("Sqrt", func(g, _, y float32) float32 { return g / (2 * y) })

// Erf: 2/sqrt(pi) exp(-x²).
var vjpErf = unaryVJP("Erf", func(g, x, _ float32) float32 {
	return g * float32(2/math.SqrtPi*math.Exp(-float64(x)*float64(x)))
})

// Softplus: sigmoid(x).
var vjpSoftplus = unaryVJP("Softplus", func(g, x, _ float32) float32 { return g * Sigmoid(x) })

// Neg: -1.
var vjpNeg = unaryVJP("Neg", func(g, _, _ float32) float32 { return -g })

// Abs: sign(x), 0 at 0 (PyTorch).
var vjpAbs = unaryVJP("Abs", func(g, x, _ float32) float32 {
	switch {
	case x > 0:
		return g
	case x < 0:
		return -g
	}
	return 0
})

// Elu: 1 for x > 0, y + alpha otherwise.
var vjpElu = unaryNodeVJP("Elu", func(n *Node) func(g, x, y float32) float32 {
	alpha := n.Attrs.Float("alpha", 1)
	return func(g, x, y float32) float32 {
		if x > 0 {
			return g
		}
		return g * (y + alpha)
	}
})

// Selu: gamma for x > 0, gamma*alpha*exp(x) otherwise.
var vjpSelu = unaryNodeVJP("Selu", func(n *Node) func(g, x, y float32) float32 {
	alpha := float64(n.Attrs.Float("alpha", 1.67326319217681884765625))
	gamma := float64(n.Attrs.Float("gamma", 1.05070102214813232421875))
	return func(g, x, _ float32) float32 {
		if x > 0 {
			return g * float32(gamma)
		}
		return g * float32(gamma*alpha*math.Exp(float64(x)))
	}
})

// HardSigmoid: alpha inside the linear part, 0 where clipped.
var vjpHardSigmoid = unaryNodeVJP("HardSigmoid", func(n *Node) func(g, x, y float32) float32 {
	alpha, beta := n.Attrs.Float("alpha", 0.2), n.Attrs.Float("beta", 0.5)
	return func(g, x, _ float32) float32 {
		if v := alpha*x + beta; v > 0 && v < 1 {
			return g * alpha
		}
		return 0
	}
})

// HardSwish: 0 below -3, x/3 + 1/2 on [-3, 3], 1 above (PyTorch).
var vjpHardSwish = unaryVJP("HardSwish", func(g, x, _ float32) float32 {
	switch {
	case x < -3:
		return 0
	case x <= 3:
		return g * (x/3 + 0.5)
	}
	return g
})

// vjpPass is the VJP of Identity and inference Dropout: the gradient of
// the first output passes through to the first input.
func vjpPass(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	if needAt(need, 0) && len(gout) > 0 && gout[0] != nil {
		if err := checkGout("Identity", gout[0], out[0]); err != nil {
			return nil, err
		}
		res[0] = gout[0]
	}
	return res, nil
}

// vjpClip passes the gradient where min <= x <= max (PyTorch's clamp);
// the bounds get none.
func vjpClip(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	n, err := needNode(k, "Clip")
	if err != nil {
		return nil, err
	}
	res := grads(len(in))
	if !needAt(need, 0) || gout[0] == nil {
		return res, nil
	}
	if in[0].DType != nd.Float32 {
		return nil, n.Errorf("vjp: integer input has no gradient")
	}
	lo, hi := float64(n.Attrs.Float("min", -math.MaxFloat32)), float64(n.Attrs.Float("max", math.MaxFloat32))
	if n.Opset >= 11 {
		lo, hi = math.Inf(-1), math.Inf(1)
		if b := at(in, 1); b != nil && b.Len() == 1 {
			lo = b.Float(0)
		}
		if b := at(in, 2); b != nil && b.Len() == 1 {
			hi = b.Float(0)
		}
	}
	res[0] = zipGrad(gout[0], in[0], out[0], func(g, x, _ float32) float32 {
		if v := float64(x); v >= lo && v <= hi {
			return g
		}
		return 0
	})
	return res, nil
}
