package ops

import (
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// vjpResize is the adjoint of the separable resampling: the forward pass
// maps each axis by a fixed matrix W (out x in) plus, for
// tf_crop_and_resize, a constant; the backward pass applies W^T to g one
// axis at a time, in reverse order. W is read off the forward resampler
// itself (applied to the identity, minus its value at zero), so both use
// the same coordinates and rounding.
func vjpResize(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	rk, ok := unbind(k).(*ResizeKernel)
	if !ok {
		return nil, errorf("Resize vjp: kernel is %T", unbind(k))
	}
	res := grads(len(in))
	if !floatGrad(in, gout, need, 0) {
		return res, nil
	}
	if err := checkGout("Resize", gout[0], out[0]); err != nil {
		return nil, err
	}
	x := in[0]
	scales, outSz, roi, err := rk.inputs(x, in)
	if err != nil {
		return nil, rk.n.Errorf("vjp: %v", err)
	}
	r := x.Rank()
	// Shapes before each axis is resampled, as the forward pass goes.
	shapes := make([][]int, r+1)
	shapes[0] = append([]int(nil), x.Shape...)
	active := make([]bool, r)
	for a := 0; a < r; a++ {
		s := append([]int(nil), shapes[a]...)
		if !(outSz[a] == x.Shape[a] && scales[a] == 1 && rk.Coord != "tf_crop_and_resize") {
			active[a] = true
			s[a] = outSz[a]
		}
		shapes[a+1] = s
	}
	g := gout[0]
	for a := r - 1; a >= 0; a-- {
		if !active[a] {
			continue
		}
		r0, r1 := 0.0, 1.0
		if roi != nil {
			r0, r1 = roi[a], roi[r+a]
		}
		nIn := x.Shape[a]
		w := rk.axisMatrix(nIn, outSz[a], scales[a], r0, r1)
		g = applyAxisT(g, shapes[a], a, w, nIn, outSz[a])
	}
	if g == gout[0] {
		g = g.Clone()
	}
	res[0] = g
	return res, nil
}

// axisMatrix returns W (out x in, row-major) of the resampling of one axis.
func (k *ResizeKernel) axisMatrix(nIn, nOut int, scale, r0, r1 float64) []float32 {
	eye := nd.NewF(nIn, nIn)
	for i := 0; i < nIn; i++ {
		eye.F[i*nIn+i] = 1
	}
	// Resampling axis 1 of the identity gives (in, out): column i of W^T.
	wt := k.resample(eye, 1, nOut, scale, r0, r1)
	zero := k.resample(nd.NewF(1, nIn), 1, nOut, scale, r0, r1)
	w := make([]float32, nOut*nIn)
	for i := 0; i < nIn; i++ {
		for o := 0; o < nOut; o++ {
			w[o*nIn+i] = wt.F[i*nOut+o] - zero.F[o]
		}
	}
	return w
}

// applyAxisT maps g (shape with axis a of length nOut) to shape (with
// axis a of length nIn) by W^T along axis a.
func applyAxisT(g *nd.Array, shape []int, a int, w []float32, nIn, nOut int) *nd.Array {
	dst := nd.NewF(append([]int(nil), shape...)...)
	outer, inner := nd.Size(shape[:a]), nd.Size(shape[a+1:])
	for o := 0; o < outer; o++ {
		for q := 0; q < nOut; q++ {
			src := g.F[(o*nOut+q)*inner : (o*nOut+q+1)*inner]
			for i := 0; i < nIn; i++ {
				c := w[q*nIn+i]
				if c == 0 {
					continue
				}
				d := dst.F[(o*nIn+i)*inner : (o*nIn+i+1)*inner]
				for j, v := range src {
					d[j] += c * v
				}
			}
		}
	}
	return dst
}
