package ops

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// vjpBatchNorm is the backward rule of inference-mode batch normalisation
// y = gamma (x - mean) / sqrt(var + eps) + beta, with inv = 1/sqrt(var+eps):
//
//	dx = g gamma inv, dgamma = sum g (x-mean) inv, dbeta = sum g,
//	dmean = -sum g gamma inv, dvar = -1/2 sum g gamma (x-mean) inv³.
//
// Training mode (batch statistics) is handled by the trainer.
func vjpBatchNorm(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	bk, ok := unbind(k).(*BatchNormKernel)
	if !ok {
		return nil, errorf("BatchNormalization vjp: kernel is %T", unbind(k))
	}
	res := grads(len(in))
	g := gout[0]
	if g == nil {
		return res, nil
	}
	if err := checkGout("BatchNormalization", g, out[0]); err != nil {
		return nil, err
	}
	x := in[0]
	per, inner := x.Shape[1], nd.Size(x.Shape[2:])
	if !bk.Spatial {
		per, inner = nd.Size(x.Shape[1:]), 1
	}
	gamma, mean, vr := in[1].F, in[3].F, in[4].F
	inv := make([]float64, per)
	for c := range inv {
		inv[c] = 1 / math.Sqrt(float64(vr[c])+float64(bk.Epsilon))
	}
	var dx *nd.Array
	if needAt(need, 0) {
		dx = ctx.newOut(append([]int(nil), x.Shape...)...) // every element is written
	}
	sg, sgx := make([]float64, per), make([]float64, per) // sum g, sum g (x-mean)
	// The sums feed only the parameter gradients: input gradients alone
	// (attacks) skip them and never read x.
	sums := false
	for i := 1; i <= 4; i++ {
		sums = sums || (needAt(need, i) && at(in, i) != nil)
	}
	for s := 0; s < x.Shape[0]; s++ {
		for c := 0; c < per; c++ {
			off := (s*per + c) * inner
			gs := g.F[off : off+inner]
			a, mu := float32(float64(gamma[c])*inv[c]), mean[c]
			if !sums {
				if dx != nil {
					d := dx.F[off : off+inner]
					for i, gv := range gs {
						d[i] = gv * a
					}
				}
				continue
			}
			xs := x.F[off : off+inner]
			var t, tx float32
			for i, gv := range gs {
				t += gv
				tx += gv * (xs[i] - mu)
			}
			sg[c] += float64(t)
			sgx[c] += float64(tx)
			if dx != nil {
				d := dx.F[off : off+inner]
				for i, gv := range gs {
					d[i] = gv * a
				}
			}
		}
	}
	res[0] = dx
	perChannel := func(i int, f func(c int) float64) {
		if !needAt(need, i) || at(in, i) == nil {
			return
		}
		d := zerosLike(in[i])
		for c := 0; c < per; c++ {
			d.F[c] = float32(f(c))
		}
		res[i] = d
	}
	perChannel(1, func(c int) float64 { return sgx[c] * inv[c] })
	perChannel(2, func(c int) float64 { return sg[c] })
	perChannel(3, func(c int) float64 { return -sg[c] * float64(gamma[c]) * inv[c] })
	perChannel(4, func(c int) float64 { return -0.5 * sgx[c] * float64(gamma[c]) * inv[c] * inv[c] * inv[c] })
	return res, nil
}

// normRowBack writes into dx the gradient through xhat = (x - mean) inv
// of one row, given dxhat: dx = inv (dxhat - mean(dxhat) - xhat mean(dxhat xhat)).
func normRowBack(dx, x, dxhat []float32, mean, inv float64) {
	n := float64(len(x))
	var s, sx float64
	for i, d := range dxhat {
		xh := (float64(x[i]) - mean) * inv
		s += float64(d)
		sx += float64(d) * xh
	}
	s, sx = s/n, sx/n
	for i, d := range dxhat {
		xh := (float64(x[i]) - mean) * inv
		dx[i] = float32(inv * (float64(d) - s - xh*sx))
	}
}

// vjpInstanceNorm is the backward rule of y = gamma xhat + beta with xhat
// normalised per (sample, channel) plane.
func vjpInstanceNorm(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	ik, ok := unbind(k).(*InstanceNormKernel)
	if !ok {
		return nil, errorf("InstanceNormalization vjp: kernel is %T", unbind(k))
	}
	res := grads(len(in))
	g := gout[0]
	if g == nil {
		return res, nil
	}
	if err := checkGout("InstanceNormalization", g, out[0]); err != nil {
		return nil, err
	}
	x, gamma := in[0], in[1]
	c, size := x.Shape[1], nd.Size(x.Shape[2:])
	var dx *nd.Array
	if needAt(need, 0) {
		dx = zerosLike(x)
	}
	dg, db := make([]float64, c), make([]float64, c)
	dxhat := make([]float32, size)
	for pl := 0; pl < x.Shape[0]*c; pl++ {
		xs, gs := x.F[pl*size:(pl+1)*size], g.F[pl*size:(pl+1)*size]
		mean, inv := meanInvStd(xs, ik.Epsilon)
		ch := pl % c
		for i, gv := range gs {
			dg[ch] += float64(gv) * (float64(xs[i]) - mean) * inv
			db[ch] += float64(gv)
			dxhat[i] = gv * gamma.F[ch]
		}
		if dx != nil {
			normRowBack(dx.F[pl*size:(pl+1)*size], xs, dxhat, mean, inv)
		}
	}
	res[0] = dx
	for i, acc := range [][]float64{nil, dg, db} {
		if i > 0 && needAt(need, i) && at(in, i) != nil {
			d := zerosLike(in[i])
			for j := range acc {
				d.F[j] = float32(acc[j])
			}
			res[i] = d
		}
	}
	return res, nil
}

// vjpLayerNorm is the backward rule of y = xhat * Scale + B with xhat
// normalised over the axes from Axis on. The optional Mean and InvStdDev
// outputs are treated as constants (no gradient flows back through them).
func vjpLayerNorm(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	lk, ok := unbind(k).(*LayerNormKernel)
	if !ok {
		return nil, errorf("LayerNormalization vjp: kernel is %T", unbind(k))
	}
	res := grads(len(in))
	g := gout[0]
	if g == nil {
		return res, nil
	}
	if err := checkGout("LayerNormalization", g, out[0]); err != nil {
		return nil, err
	}
	x, scale := in[0], in[1]
	axis := lk.Axis
	if axis < 0 {
		axis += x.Rank()
	}
	inner, rows := nd.Size(x.Shape[axis:]), nd.Size(x.Shape[:axis])
	xhat := zerosLike(x)
	means, invs := make([]float64, rows), make([]float64, rows)
	for r := 0; r < rows; r++ {
		src, dst := x.F[r*inner:(r+1)*inner], xhat.F[r*inner:(r+1)*inner]
		means[r], invs[r] = meanInvStd(src, lk.Epsilon)
		for i, v := range src {
			dst[i] = float32((float64(v) - means[r]) * invs[r])
		}
	}
	if needAt(need, 0) {
		dxhat := bmul(g, scale)
		dx := zerosLike(x)
		for r := 0; r < rows; r++ {
			sl := func(a *nd.Array) []float32 { return a.F[r*inner : (r+1)*inner] }
			normRowBack(sl(dx), sl(x), sl(dxhat), means[r], invs[r])
		}
		res[0] = dx
	}
	if needAt(need, 1) {
		res[1] = unbroadcast(bmul(g, xhat), scale.Shape)
	}
	if needAt(need, 2) && at(in, 2) != nil {
		res[2] = unbroadcast(g, in[2].Shape)
	}
	return res, nil
}
