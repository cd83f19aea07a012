package ops

import (
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// unbroadcast sums g (of a broadcast output shape) down to shape, the
// adjoint of numpy broadcasting: dimensions of shape that are 1 (or
// missing) where g's are larger are summed over. It returns g itself when
// the shapes already agree.
func unbroadcast(g *nd.Array, shape []int) *nd.Array {
	if nd.EqualShape(g.Shape, shape) {
		return g
	}
	out := nd.NewF(append([]int(nil), shape...)...)
	if nd.Size(shape) == 1 {
		var s float64
		for _, v := range g.F {
			s += float64(v)
		}
		out.F[0] = float32(s)
		return out
	}
	broadcastLoop(g.Shape, g.Shape, shape, func(o, _, ib, cnt, _, sb int) {
		src := g.F[o : o+cnt]
		if sb == 1 {
			dst := out.F[ib : ib+cnt]
			for k, v := range src {
				dst[k] += v
			}
			return
		}
		var s float32
		for _, v := range src {
			s += v
		}
		out.F[ib] += s
	})
	return out
}

// zipGrad returns dx[i] = f(g[i], x[i], y[i]) over equal-shaped arrays
// (the VJP of an elementwise op from its input x and output y).
func zipGrad(g, x, y *nd.Array, f func(g, x, y float32) float32) *nd.Array {
	dx := nd.NewF(append([]int(nil), x.Shape...)...)
	xf, yf, gf := x.F, y.F, g.F[:len(x.F)]
	yf = yf[:len(xf)]
	for i, gv := range gf {
		dx.F[i] = f(gv, xf[i], yf[i])
	}
	return dx
}

// bmul returns a*b with numpy broadcasting (float32).
func bmul(a, b *nd.Array) *nd.Array {
	return bzip(a, b, func(x, y float32) float32 { return x * y })
}

// bzip applies f elementwise with numpy broadcasting.
func bzip(a, b *nd.Array, f func(x, y float32) float32) *nd.Array {
	out, err := binary(&Node{Op: "vjp"}, a, b, binaryFns{f: f})
	if err != nil {
		panic("onnx: vjp: " + err.Error())
	}
	return out
}

// zerosLike returns a float zero array of a's shape.
func zerosLike(a *nd.Array) *nd.Array { return nd.NewF(append([]int(nil), a.Shape...)...) }

// checkGout returns an error unless the output gradient matches the
// forward output's shape (a driver bug, reported rather than panicking).
func checkGout(op string, g, y *nd.Array) error {
	if g == nil || y == nil || g.DType != nd.Float32 || !nd.EqualShape(g.Shape, y.Shape) {
		return errorf("%s vjp: output gradient of shape %v for output %v", op, shapeOf(g), shapeOf(y))
	}
	return nil
}
