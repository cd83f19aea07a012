package ops

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// vjpPool is the backward rule of MaxPool and AveragePool. MaxPool sends
// each output's gradient to the first maximal element of its window in
// row-major window order (PyTorch's tie rule, and the forward pass's
// Indices); AveragePool spreads it evenly over the elements the forward
// pass counted (padding included when count_include_pad=1).
func vjpPool(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	pk, ok := unbind(k).(*PoolKernel)
	if !ok {
		return nil, errorf("pool vjp: kernel is %T", unbind(k))
	}
	res := grads(len(in))
	gy := gout[0]
	if gy == nil || !needAt(need, 0) {
		return res, nil
	}
	if err := checkGout(pk.n.Op, gy, out[0]); err != nil {
		return nil, err
	}
	x := in[0]
	sp := x.Shape[2:]
	g, err := readGeom(pk.n, len(sp), nil)
	if err != nil {
		return nil, pk.n.Errorf("vjp: %v", err)
	}
	outSp, pb, pe, err := g.outShape(sp)
	if err != nil {
		return nil, pk.n.Errorf("vjp: %v", err)
	}
	planes, inSize, p := x.Shape[0]*x.Shape[1], prod(sp), prod(outSp)
	if len(sp) == 2 && pk.max2x2(g, outSp, pb) && sp[0] == 2*outSp[0] && 2*outSp[1] <= sp[1] {
		// Planes without a leftover row are one run of row pairs: one
		// call over many planes, not a call per small plane. Every
		// element is written, so the gradient needs no zeroing.
		oh, ow, iw := outSp[0], outSp[1], sp[1]
		dx := ctx.newOut(append([]int(nil), x.Shape...)...)
		y := out[0]
		ctx.Parallel(planes, func(lo, hi int) {
			maxPool2x2BackSet(dx.F[lo*inSize:hi*inSize], x.F[lo*inSize:hi*inSize], y.F[lo*p:hi*p], gy.F[lo*p:hi*p], iw, (hi-lo)*oh, ow)
		})
		res[0] = dx
		return res, nil
	}
	if len(sp) == 2 && pk.avg2x2(g, outSp, pb, pe) && sp[0] == 2*outSp[0] && sp[1] == 2*outSp[1] {
		// Windows tile the planes exactly: every element gets a quarter
		// of its window's gradient, written without zeroing first.
		dx := ctx.newOut(append([]int(nil), x.Shape...)...)
		ow := outSp[1]
		ctx.Parallel(planes*outSp[0], func(lo, hi int) {
			avgPool2x2BackSet(dx.F[lo*4*ow:hi*4*ow], gy.F[lo*ow:hi*ow], ow)
		})
		res[0] = dx
		return res, nil
	}
	dx := ctx.NewF(append([]int(nil), x.Shape...)...)
	ctx.Parallel(planes, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			dp, gp := dx.F[pl*inSize:(pl+1)*inSize], gy.F[pl*p:(pl+1)*p]
			var xp []float32 // AveragePool reads no values (x may be a shape only)
			if pk.Max {
				xp = x.F[pl*inSize : (pl+1)*inSize]
			}
			if len(sp) == 2 {
				pk.pool2dBack(dp, xp, gp, sp, outSp, pb, pe, g)
			} else {
				pk.poolNdBack(dp, xp, gp, sp, outSp, pb, pe, g)
			}
		}
	})
	res[0] = dx
	return res, nil
}

// pool2dBack is the 2-D backward pass of one plane, windows clipped as in
// pool2d.
func (k *PoolKernel) pool2dBack(dx, x, g []float32, in, out, pb, pe []int, geo *geom) {
	ih, iw, oh, ow := in[0], in[1], out[0], out[1]
	kh, kw := geo.kernel[0], geo.kernel[1]
	sh, sw, dh, dw := geo.strides[0], geo.strides[1], geo.dil[0], geo.dil[1]
	if k.max2x2(geo, out, pb) && 2*oh <= ih && 2*ow <= iw {
		maxPool2x2Back(dx, x, g, iw, oh, ow)
		return
	}
	for y := 0; y < oh; y++ {
		y0 := y*sh - pb[0]
		a0, a1 := clipWindow(y0, kh, dh, 0, ih)
		pa0, pa1 := clipWindow(y0, kh, dh, -pb[0], ih+pe[0])
		for xo := 0; xo < ow; xo++ {
			x0 := xo*sw - pb[1]
			b0, b1 := clipWindow(x0, kw, dw, 0, iw)
			if a1 <= a0 || b1 <= b0 {
				continue
			}
			gv := g[y*ow+xo]
			if k.Max {
				best, at := float32(math.Inf(-1)), -1
				for a := a0; a < a1; a++ {
					row := (y0 + a*dh) * iw
					for b := b0; b < b1; b++ {
						if v := x[row+x0+b*dw]; v > best || at < 0 {
							best, at = v, row+x0+b*dw
						}
					}
				}
				dx[at] += gv
				continue
			}
			cnt := (a1 - a0) * (b1 - b0)
			if k.IncludePad {
				pb0, pb1 := clipWindow(x0, kw, dw, -pb[1], iw+pe[1])
				cnt = (pa1 - pa0) * (pb1 - pb0)
			}
			share := gv / float32(cnt)
			for a := a0; a < a1; a++ {
				row := dx[(y0+a*dh)*iw:]
				for b := b0; b < b1; b++ {
					row[x0+b*dw] += share
				}
			}
		}
	}
}

// poolNdBack is the N-d backward pass of one plane.
func (k *PoolKernel) poolNdBack(dx, x, g []float32, sp, out, pb, pe []int, geo *geom) {
	nsp := len(sp)
	oidx, kidx := make([]int, nsp), make([]int, nsp)
	kk := prod(geo.kernel)
	inside := make([]int, 0, kk)
	for q := range g {
		unravel(q, out, oidx)
		best, at, cnt := float32(math.Inf(-1)), -1, 0
		inside = inside[:0]
		for kq := 0; kq < kk; kq++ {
			unravel(kq, geo.kernel, kidx)
			flat, in, inPad := 0, true, true
			for d := 0; d < nsp; d++ {
				pos := oidx[d]*geo.strides[d] - pb[d] + kidx[d]*geo.dil[d]
				if pos < 0 || pos >= sp[d] {
					in = false
					if pos < -pb[d] || pos >= sp[d]+pe[d] {
						inPad = false
					}
				}
				flat = flat*sp[d] + min(max(pos, 0), sp[d]-1)
			}
			if !in {
				if k.IncludePad && inPad {
					cnt++
				}
				continue
			}
			if k.Max {
				if v := x[flat]; v > best || at < 0 {
					best, at = v, flat
				}
				continue
			}
			inside = append(inside, flat)
			cnt++
		}
		switch {
		case k.Max && at >= 0:
			dx[at] += g[q]
		case !k.Max && cnt > 0:
			share := g[q] / float32(cnt)
			for _, f := range inside {
				dx[f] += share
			}
		}
	}
}

// vjpGlobalPool: GlobalAveragePool spreads g/size over each plane;
// GlobalMaxPool sends g to the first maximal element.
func vjpGlobalPool(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	gk, ok := unbind(k).(*GlobalPoolKernel)
	if !ok {
		return nil, errorf("global pool vjp: kernel is %T", unbind(k))
	}
	res := grads(len(in))
	gy := gout[0]
	if gy == nil || !needAt(need, 0) {
		return res, nil
	}
	if err := checkGout(gk.n.Op, gy, out[0]); err != nil {
		return nil, err
	}
	x := in[0]
	planes, size := x.Shape[0]*x.Shape[1], prod(x.Shape[2:])
	dx := nd.NewF(append([]int(nil), x.Shape...)...)
	for pl := 0; pl < planes; pl++ {
		dp := dx.F[pl*size : (pl+1)*size]
		if gk.Max {
			xp := x.F[pl*size : (pl+1)*size]
			at := 0
			for i, v := range xp {
				if v > xp[at] {
					at = i
				}
			}
			if size > 0 {
				dp[at] = gy.F[pl]
			}
			continue
		}
		share := gy.F[pl] / float32(size)
		for i := range dp {
			dp[i] = share
		}
	}
	res[0] = dx
	return res, nil
}

// max2x2 reports a 2x2, stride 2, undilated, unpadded 2-D max pool.
func (k *PoolKernel) max2x2(geo *geom, out, pb []int) bool {
	return k.Max && len(out) == 2 && geo.kernel[0] == 2 && geo.kernel[1] == 2 && geo.strides[0] == 2 && geo.strides[1] == 2 &&
		geo.dil[0] == 1 && geo.dil[1] == 1 && pb[0] == 0 && pb[1] == 0
}

// maxPool2x2Back is pool2dBack for the 2x2, stride 2, unpadded max pool:
// each output's gradient goes to the first maximal element of its window
// in row-major order. Without NaNs the window is compared on
// order-preserving integer keys (orderKey) and all four elements get
// gv or +0 through bit masks: no data-dependent branch, which random
// activations would mispredict. A window holding a NaN takes the float
// comparisons of the general path (a NaN first element keeps the
// gradient, a later one never takes it).
func maxPool2x2Back(dx, x, g []float32, iw, oh, ow int) {
	for yo := 0; yo < oh; yo++ {
		o0 := 2 * yo * iw
		r0, r1 := x[o0:o0+2*ow], x[o0+iw:o0+iw+2*ow]
		d0, d1 := dx[o0:o0+2*ow], dx[o0+iw:o0+iw+2*ow]
		gr := g[yo*ow : (yo+1)*ow]
		for xo, gv := range gr {
			j := 2 * xo
			if j+1 >= len(r0) || j+1 >= len(r1) || j+1 >= len(d0) || j+1 >= len(d1) {
				return // unreachable: lets the compiler drop bounds checks
			}
			ua, ub, uc, ue := math.Float32bits(r0[j]), math.Float32bits(r0[j+1]), math.Float32bits(r1[j]), math.Float32bits(r1[j+1])
			if max(ua&0x7fffffff, ub&0x7fffffff, uc&0x7fffffff, ue&0x7fffffff) > 0x7f800000 {
				maxWindowNaN(d0[j:j+2], d1[j:j+2], r0[j], r0[j+1], r1[j], r1[j+1], gv)
				continue
			}
			ka, kb, kc, ke := orderKey(ua), orderKey(ub), orderKey(uc), orderKey(ue)
			m := max(ka, kb, kc, ke)
			ma := eqMask(ka, m)
			mb := eqMask(kb, m) &^ ma
			mc := eqMask(kc, m) &^ (ma | mb)
			me := ^(ma | mb | mc)
			gb := math.Float32bits(gv)
			d0[j] += math.Float32frombits(gb & ma)
			d0[j+1] += math.Float32frombits(gb & mb)
			d1[j] += math.Float32frombits(gb & mc)
			d1[j+1] += math.Float32frombits(gb & me)
		}
	}
}

// maxWindowNaN is the general first-maximum rule on one 2x2 window.
func maxWindowNaN(d0, d1 []float32, a, b, c, e, gv float32) {
	best, at := a, 0
	if b > best {
		best, at = b, 1
	}
	if c > best {
		best, at = c, 2
	}
	if e > best {
		at = 3
	}
	switch at {
	case 0:
		d0[0] += gv
	case 1:
		d0[1] += gv
	case 2:
		d1[0] += gv
	default:
		d1[1] += gv
	}
}

// eqMask is all ones when a == b, else 0.
func eqMask(a, b int32) uint32 {
	d := uint32(a ^ b)
	return (d|-d)>>31 - 1
}

// orderKey maps the bits of a non-NaN float32 to an int32 with the same
// order, -0 and +0 sharing the key 0 (they compare equal as floats).
func orderKey(u uint32) int32 {
	s := int32(u) >> 31 // -1 for negative values, else 0
	return int32(u) ^ (s & 0x7fffffff) - s
}

// maxPool2x2BackSet is maxPool2x2Back for rows of windows that cover
// every row of dx (2*oh rows of iw), given the forward output y: it
// writes every element of dx instead of adding, a leftover last column
// getting 0. Without NaNs or infinities in a window, its first maximal
// element is the first whose difference from the window's maximum y is
// +-0 (exact for finite floats), so the gradient is placed through bit
// masks without comparisons; other windows take maxWindowNaN. Groups of
// 4 windows go to AVX2 where available.
func maxPool2x2BackSet(dx, x, y, g []float32, iw, oh, ow int) {
	done := maxPool2x2BackFast(dx, x, g, iw, oh, ow)
	if done == ow && 2*ow == iw {
		return
	}
	for yo := 0; yo < oh; yo++ {
		o0 := 2 * yo * iw
		r0, r1 := x[o0:o0+iw], x[o0+iw:o0+2*iw]
		d0, d1 := dx[o0:o0+iw], dx[o0+iw:o0+2*iw]
		gr, yr := g[yo*ow:(yo+1)*ow], y[yo*ow:(yo+1)*ow]
		yr = yr[:len(gr)]
		for xo := done; xo < len(gr); xo++ {
			gv := gr[xo]
			j := 2 * xo
			if j+1 >= len(r0) || j+1 >= len(r1) || j+1 >= len(d0) || j+1 >= len(d1) {
				return // unreachable: lets the compiler drop bounds checks
			}
			a, b, c, e, m := r0[j], r0[j+1], r1[j], r1[j+1], yr[xo]
			ua, ub, uc, ue := math.Float32bits(a), math.Float32bits(b), math.Float32bits(c), math.Float32bits(e)
			if max(ua&0x7fffffff, ub&0x7fffffff, uc&0x7fffffff, ue&0x7fffffff, math.Float32bits(m)&0x7fffffff) >= 0x7f800000 {
				d0[j], d0[j+1], d1[j], d1[j+1] = 0, 0, 0, 0
				maxWindowNaN(d0[j:j+2], d1[j:j+2], a, b, c, e, gv)
				continue
			}
			ma := zeroMask(m - a)
			mb := zeroMask(m-b) &^ ma
			mc := zeroMask(m-c) &^ (ma | mb)
			me := ^(ma | mb | mc)
			gb := math.Float32bits(gv)
			d0[j] = math.Float32frombits(gb & ma)
			d0[j+1] = math.Float32frombits(gb & mb)
			d1[j] = math.Float32frombits(gb & mc)
			d1[j+1] = math.Float32frombits(gb & me)
		}
		if 2*ow < iw {
			clear(d0[2*ow:])
			clear(d1[2*ow:])
		}
	}
}

// zeroMask is all ones when d is +0 or -0, else 0.
func zeroMask(d float32) uint32 {
	u := math.Float32bits(d) << 1
	return (u|-u)>>31 - 1
}

// avg2x2 reports a 2x2, stride 2, undilated, unpadded 2-D average pool.
func (k *PoolKernel) avg2x2(geo *geom, out, pb, pe []int) bool {
	return !k.Max && len(out) == 2 && geo.kernel[0] == 2 && geo.kernel[1] == 2 && geo.strides[0] == 2 && geo.strides[1] == 2 &&
		geo.dil[0] == 1 && geo.dil[1] == 1 && pb[0] == 0 && pb[1] == 0 && pe[0] == 0 && pe[1] == 0
}

// avgPool2x2BackSet writes the 2x2 average pool's input gradient for
// rows of windows covering dx exactly (each pair of input rows 4*ow
// values): g/4 under each window, as 0 + g/4 like the accumulating path.
func avgPool2x2BackSet(dx, g []float32, ow int) {
	for y := 0; y < len(g)/ow; y++ {
		gr := g[y*ow : (y+1)*ow]
		r0, r1 := dx[y*4*ow:y*4*ow+2*ow], dx[y*4*ow+2*ow:(y+1)*4*ow]
		for xo, gv := range gr {
			v := 0 + gv/4
			r0[2*xo], r0[2*xo+1], r1[2*xo], r1[2*xo+1] = v, v, v, v
		}
	}
}
