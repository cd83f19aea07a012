package ops

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// BatchNormTrain runs a BatchNormalization node in training mode: each
// channel is normalised by the mean and (biased) variance of the batch,
// y = gamma (x - mean_B) / sqrt(var_B + eps) + beta. It returns y and the
// batch statistics per channel; the caller updates the running
// statistics. k must be a (bound) BatchNormalization kernel.
func BatchNormTrain(k Kernel, in []*nd.Array) (y *nd.Array, mean, vr []float64, err error) {
	bk, ok := unbind(k).(*BatchNormKernel)
	if !ok {
		return nil, nil, nil, errorf("batch norm training: kernel is %T", unbind(k))
	}
	x := in[0]
	if x == nil || x.DType != nd.Float32 || x.Rank() < 2 {
		return nil, nil, nil, bk.n.Errorf("training: X must be a float tensor of rank >= 2")
	}
	per, inner := bk.layout(x)
	for i := 1; i <= 2; i++ {
		if at(in, i) == nil || in[i].Len() != per {
			return nil, nil, nil, bk.n.Errorf("training: input %d must have %d values", i, per)
		}
	}
	mean, vr = batchStats(x, per, inner)
	y = zerosLike(x)
	for s := 0; s < x.Shape[0]; s++ {
		for c := 0; c < per; c++ {
			off := (s*per + c) * inner
			a := float64(in[1].F[c]) / math.Sqrt(vr[c]+float64(bk.Epsilon))
			b := float64(in[2].F[c]) - mean[c]*a
			for i, v := range x.F[off : off+inner] {
				y.F[off+i] = float32(float64(v)*a + b)
			}
		}
	}
	return y, mean, vr, nil
}

// layout returns the number of normalised channels and the values per
// (sample, channel).
func (k *BatchNormKernel) layout(x *nd.Array) (per, inner int) {
	if !k.Spatial {
		return nd.Size(x.Shape[1:]), 1
	}
	return x.Shape[1], nd.Size(x.Shape[2:])
}

// batchStats returns the per-channel mean and biased variance of x.
func batchStats(x *nd.Array, per, inner int) (mean, vr []float64) {
	mean, vr = make([]float64, per), make([]float64, per)
	cnt := float64(x.Shape[0] * inner)
	for s := 0; s < x.Shape[0]; s++ {
		for c := 0; c < per; c++ {
			for _, v := range x.F[(s*per+c)*inner : (s*per+c+1)*inner] {
				mean[c] += float64(v)
			}
		}
	}
	for c := range mean {
		mean[c] /= cnt
	}
	for s := 0; s < x.Shape[0]; s++ {
		for c := 0; c < per; c++ {
			for _, v := range x.F[(s*per+c)*inner : (s*per+c+1)*inner] {
				d := float64(v) - mean[c]
				vr[c] += d * d
			}
		}
	}
	for c := range vr {
		vr[c] /= cnt
	}
	return mean, vr
}

// VJPBatchNormTrain is the backward rule of BatchNormTrain, through the
// batch statistics: with xhat = (x - mean_B) inv and m values per channel,
//
//	dx = gamma inv / m (m g - sum g - xhat sum(g xhat)),
//	dgamma = sum g xhat, dbeta = sum g.
//
// The running statistics (inputs 3 and 4) get no gradient.
func VJPBatchNormTrain(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	bk, ok := unbind(k).(*BatchNormKernel)
	if !ok {
		return nil, errorf("batch norm training vjp: kernel is %T", unbind(k))
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
	per, inner := bk.layout(x)
	mean, vr := batchStats(x, per, inner)
	cnt := float64(x.Shape[0] * inner)
	inv := make([]float64, per)
	sg, sgx := make([]float64, per), make([]float64, per)
	for c := range inv {
		inv[c] = 1 / math.Sqrt(vr[c]+float64(bk.Epsilon))
	}
	for s := 0; s < x.Shape[0]; s++ {
		for c := 0; c < per; c++ {
			off := (s*per + c) * inner
			for i, gv := range g.F[off : off+inner] {
				sg[c] += float64(gv)
				sgx[c] += float64(gv) * (float64(x.F[off+i]) - mean[c]) * inv[c]
			}
		}
	}
	if needAt(need, 0) {
		dx := zerosLike(x)
		for s := 0; s < x.Shape[0]; s++ {
			for c := 0; c < per; c++ {
				off := (s*per + c) * inner
				a := float64(in[1].F[c]) * inv[c] / cnt
				for i, gv := range g.F[off : off+inner] {
					xh := (float64(x.F[off+i]) - mean[c]) * inv[c]
					dx.F[off+i] = float32(a * (cnt*float64(gv) - sg[c] - xh*sgx[c]))
				}
			}
		}
		res[0] = dx
	}
	for i, acc := range [][]float64{nil, sgx, sg} {
		if i > 0 && needAt(need, i) {
			d := zerosLike(in[i])
			for c := range acc {
				d.F[c] = float32(acc[c])
			}
			res[i] = d
		}
	}
	return res, nil
}
