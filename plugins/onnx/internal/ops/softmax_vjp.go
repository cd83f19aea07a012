package ops

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// vjpSoftmax is the backward rule of Softmax, dx = y (g - sum(g y)), and
// of LogSoftmax, dx = g - exp(y) sum(g), along the rows the forward pass
// normalised.
func vjpSoftmax(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	sk, ok := unbind(k).(*SoftmaxKernel)
	if !ok {
		return nil, errorf("softmax vjp: kernel is %T", unbind(k))
	}
	res := grads(len(in))
	g := gout[0]
	if g == nil || !needAt(need, 0) {
		return res, nil
	}
	if err := checkGout(sk.n.Op, g, out[0]); err != nil {
		return nil, err
	}
	x, y := in[0], out[0]
	r := x.Rank()
	axis := sk.Axis
	if axis < 0 {
		axis += r
	}
	var outer, length, inner int
	switch {
	case sk.Legacy:
		outer, length, inner = nd.Size(x.Shape[:axis]), nd.Size(x.Shape[axis:]), 1
	case r == 0:
		outer, length, inner = 1, 1, 1
	default:
		outer, length, inner = nd.Size(x.Shape[:axis]), x.Shape[axis], nd.Size(x.Shape[axis+1:])
	}
	dx := ctx.newOut(append([]int(nil), x.Shape...)...)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*length*inner + i
			var s float64
			for j := 0; j < length; j++ {
				at := base + j*inner
				if sk.Log {
					s += float64(g.F[at])
				} else {
					s += float64(g.F[at]) * float64(y.F[at])
				}
			}
			for j := 0; j < length; j++ {
				at := base + j*inner
				if sk.Log {
					dx.F[at] = float32(float64(g.F[at]) - math.Exp(float64(y.F[at]))*s)
				} else {
					dx.F[at] = float32(float64(y.F[at]) * (float64(g.F[at]) - s))
				}
			}
		}
	}
	res[0] = dx
	return res, nil
}
