package ops

import (
	"sync"

	"github.com/arthost/arthost/plugins/onnx/internal/linalg"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// vjpConv is the backward rule of Y = conv(X, W) + B, per sample s and
// group, with col = im2col(X_s) and g = dY_s (mg x p):
//
//	dX_s = col2im(W^T g), dW += g col^T, dB = sum of g over samples and space.
//
// Samples run in parallel; each worker accumulates its own dW.
// scratchPool recycles the patch and gradient matrices of the convolution
// backward passes (overwritten before every read, so never zeroed); a
// buffer cache like linalg's packing buffers.
var scratchPool = sync.Pool{New: func() any { s := []float32(nil); return &s }}

func getScratch(n int) *[]float32 {
	p := scratchPool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

func putScratch(p *[]float32) { scratchPool.Put(p) }

func vjpConv(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	c, ok := unbind(k).(*ConvKernel)
	if !ok {
		return nil, errorf("Conv vjp: kernel is %T", unbind(k))
	}
	res := grads(len(in))
	gy := gout[0]
	if gy == nil {
		return res, nil
	}
	if err := checkGout("Conv", gy, out[0]); err != nil {
		return nil, err
	}
	x, w := in[0], in[1]
	geo, outSp, pb, err := c.shapes(x, w)
	if err != nil {
		return nil, err
	}
	nb, ch, m := x.Shape[0], x.Shape[1], w.Shape[0]
	cg, mg := ch/c.Groups, m/c.Groups
	kk, p, inSize := prod(geo.kernel), prod(outSp), prod(x.Shape[2:])
	rowsK := cg * kk
	needX, needW := needAt(need, 0), needAt(need, 1)
	var dx, dw *nd.Array
	if needX {
		dx = ctx.NewF(append([]int(nil), x.Shape...)...)
	}
	if needW {
		dw = nd.NewF(append([]int(nil), w.Shape...)...)
	}
	var mu sync.Mutex
	if needX || needW {
		ctx.Parallel(nb, func(lo, hi int) {
			// Samples per GEMM, as in the forward pass: enough columns to
			// amortise the call, bounded memory for the patch matrix.
			step := max(1, min(hi-lo, (1<<18)/max(1, rowsK*p)))
			colBuf, gBuf := getScratch(rowsK*p*step), getScratch(mg*p*step)
			defer putScratch(colBuf)
			defer putScratch(gBuf)
			col, gbuf := *colBuf, *gBuf
			var local []float32
			if needW {
				local = make([]float32, len(dw.F))
			}
			for s0 := lo; s0 < hi; s0 += step {
				s1 := min(s0+step, hi)
				cols := (s1 - s0) * p
				for grp := 0; grp < c.Groups; grp++ {
					// G (mg x cols): the output gradients of the group, one
					// block of p columns per sample; packed straight from
					// gy when only dX is needed and W was packed at load.
					direct := needX && !needW && w == c.wConst && c.packedT != nil
					if !direct {
						for s := s0; s < s1; s++ {
							for oc := 0; oc < mg; oc++ {
								src := gy.F[(s*m+grp*mg+oc)*p : (s*m+grp*mg+oc+1)*p]
								copy(gbuf[oc*cols+(s-s0)*p:], src)
							}
						}
					}
					wg := w.F[grp*mg*rowsK:]
					if needX {
						if direct {
							src := &gradSource{g: gy.F[(s0*m+grp*mg)*p:], sampleStride: m * p, p: p}
							linalg.SgemmSource(c.packedT[grp], src, cols, 1, 0, col, cols)
						} else {
							linalg.Sgemm(true, false, rowsK, cols, mg, 1, wg, rowsK, gbuf, cols, 0, col, cols)
						}
						for s := s0; s < s1; s++ {
							xs := dx.F[(s*ch+grp*cg)*inSize:]
							col2imAny(xs, cg, x.Shape[2:], col, cols, (s-s0)*p, outSp, pb, geo)
						}
					}
					if needW {
						for s := s0; s < s1; s++ {
							im2col(col, cols, (s-s0)*p, x.F[(s*ch+grp*cg)*inSize:], cg, x.Shape[2:], outSp, pb, geo)
						}
						linalg.Sgemm(false, true, mg, rowsK, cols, 1, gbuf, cols, col, cols, 1, local[grp*mg*rowsK:], rowsK)
					}
				}
			}
			if needW {
				mu.Lock()
				for i, v := range local {
					dw.F[i] += v
				}
				mu.Unlock()
			}
		})
	}
	res[0], res[1] = dx, dw
	if needAt(need, 2) && len(in) > 2 && in[2] != nil {
		res[2] = channelSums(gy, in[2].Shape)
	}
	return res, nil
}

// channelSums returns the sum of g (N, C, ...) over every axis but 1,
// shaped like the bias.
func channelSums(g *nd.Array, shape []int) *nd.Array {
	nb, ch := g.Shape[0], g.Shape[1]
	p := nd.Size(g.Shape[2:])
	acc := make([]float64, ch)
	for s := 0; s < nb; s++ {
		for c := 0; c < ch; c++ {
			var t float32
			for _, v := range g.F[(s*ch+c)*p : (s*ch+c+1)*p] {
				t += v
			}
			acc[c] += float64(t)
		}
	}
	db := nd.NewF(append([]int(nil), shape...)...)
	for c := range acc {
		db.F[c] = float32(acc[c])
	}
	return db
}

// col2imAny is the adjoint of im2col for one sample: it adds column
// block [off, off+prod(out)) of col (row stride ld, rows c*prod(kernel))
// into the input-shaped x. 2-D images take a clipped fast path.
func col2imAny(x []float32, c int, in []int, col []float32, ld, off int, out, pb []int, g *geom) {
	if len(in) != 2 {
		col2imNd(x, c, in, col, ld, off, out, pb, g)
		return
	}
	ih, iw, oh, ow := in[0], in[1], out[0], out[1]
	kh, kw := g.kernel[0], g.kernel[1]
	sh, sw, dh, dw := g.strides[0], g.strides[1], g.dil[0], g.dil[1]
	p := oh * ow
	if sh == 1 && sw == 1 && ow == iw {
		col2imSame(x, c, ih, iw, oh, col, ld, off, pb, g)
		return
	}
	for ci := 0; ci < c; ci++ {
		xc := x[ci*ih*iw : (ci+1)*ih*iw]
		for a := 0; a < kh; a++ {
			for b := 0; b < kw; b++ {
				row := col[(ci*kh*kw+a*kw+b)*ld+off:]
				row = row[:p]
				// Output columns xo whose input column x0 + xo*sw is inside.
				x0 := -pb[1] + b*dw
				lo, hi := clipWindow(x0, ow, sw, 0, iw)
				if lo >= hi {
					continue
				}
				for y := 0; y < oh; y++ {
					yy := y*sh - pb[0] + a*dh
					if yy < 0 || yy >= ih {
						continue
					}
					r := row[y*ow+lo : y*ow+hi]
					xr := xc[yy*iw : (yy+1)*iw]
					if sw == 1 {
						dst := xr[x0+lo : x0+hi]
						for i, v := range r {
							dst[i] += v
						}
						continue
					}
					for i, v := range r {
						xr[x0+(lo+i)*sw] += v
					}
				}
			}
		}
	}
}

// col2imSame is col2imAny for unit strides and output rows as wide as
// the input's (a "same" convolution): output position q = y*iw + x of a
// kernel offset lands on input q + delta, so one long loop adds the rows
// that offset reaches, after zeroing (in col, scratch read only here) the
// columns whose input column falls outside the image and would wrap into
// a neighbouring row. Every input element receives the same terms in the
// same order as the row-by-row loop.
func col2imSame(x []float32, c, ih, iw, oh int, col []float32, ld, off int, pb []int, g *geom) {
	kh, kw := g.kernel[0], g.kernel[1]
	dh, dw := g.dil[0], g.dil[1]
	p := oh * iw
	for ci := 0; ci < c; ci++ {
		xc := x[ci*ih*iw : (ci+1)*ih*iw]
		for a := 0; a < kh; a++ {
			dy := a*dh - pb[0]
			ylo, yhi := max(0, -dy), min(oh, ih-dy)
			if ylo >= yhi {
				continue
			}
			for b := 0; b < kw; b++ {
				dx := b*dw - pb[1]
				xlo, xhi := max(0, -dx), min(iw, iw-dx)
				if xlo >= xhi {
					continue
				}
				row := col[(ci*kh*kw+a*kw+b)*ld+off:]
				row = row[:p]
				q0, q1 := ylo*iw+xlo, (yhi-1)*iw+xhi
				// Columns outside [xlo, xhi) inside [q0, q1): a few per
				// row, so plain loops rather than calls to clear.
				if xlo > 0 {
					for y := ylo + 1; y < yhi; y++ {
						z := row[y*iw : y*iw+xlo]
						for i := range z {
							z[i] = 0
						}
					}
				}
				if xhi < iw {
					for y := ylo; y < yhi-1; y++ {
						z := row[y*iw+xhi : (y+1)*iw]
						for i := range z {
							z[i] = 0
						}
					}
				}
				delta := dy*iw + dx
				src := row[q0:q1]
				dst := xc[q0+delta : q1+delta]
				done := addFast(dst, src)
				dst, src = dst[done:], src[done:]
				for i, v := range src {
					dst[i] += v
				}
			}
		}
	}
}

// col2imNd is col2imAny for any number of spatial axes.
func col2imNd(x []float32, c int, in []int, col []float32, ld, off int, out, pb []int, g *geom) {
	nsp := len(in)
	kk, p, inSize := prod(g.kernel), prod(out), prod(in)
	kidx, oidx := make([]int, nsp), make([]int, nsp)
	for ci := 0; ci < c; ci++ {
		xc := x[ci*inSize:]
		for k := 0; k < kk; k++ {
			unravel(k, g.kernel, kidx)
			row := col[(ci*kk+k)*ld+off:]
			for q := 0; q < p; q++ {
				unravel(q, out, oidx)
				flat, inside := 0, true
				for d := 0; d < nsp; d++ {
					pos := oidx[d]*g.strides[d] - pb[d] + kidx[d]*g.dil[d]
					if pos < 0 || pos >= in[d] {
						inside = false
						break
					}
					flat = flat*in[d] + pos
				}
				if inside {
					xc[flat] += row[q]
				}
			}
		}
	}
}

// vjpConvTranspose is the backward rule of Y = col2im(W^T X) + B: with
// col = im2col(dY_s) over the output image,
//
//	dX_s = W col, dW += X_s col^T, dB = channel sums of dY.
func vjpConvTranspose(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	c, ok := unbind(k).(*ConvTransposeKernel)
	if !ok {
		return nil, errorf("ConvTranspose vjp: kernel is %T", unbind(k))
	}
	res := grads(len(in))
	gy := gout[0]
	if gy == nil {
		return res, nil
	}
	if err := checkGout("ConvTranspose", gy, out[0]); err != nil {
		return nil, err
	}
	x, w := in[0], in[1]
	geo, outSp, pb, err := c.geometry(x, w)
	if err != nil {
		return nil, c.n.Errorf("vjp: %v", err)
	}
	nb, ch, mg := x.Shape[0], x.Shape[1], w.Shape[1]
	cg, m := ch/c.Groups, w.Shape[1]*c.Groups
	kk, inSize, p := prod(geo.kernel), prod(x.Shape[2:]), prod(outSp)
	needX, needW := needAt(need, 0), needAt(need, 1)
	var dx, dw *nd.Array
	if needX {
		dx = nd.NewF(append([]int(nil), x.Shape...)...)
	}
	if needW {
		dw = nd.NewF(append([]int(nil), w.Shape...)...)
	}
	var mu sync.Mutex
	if needX || needW {
		ctx.Parallel(nb, func(lo, hi int) {
			col := make([]float32, mg*kk*inSize)
			var local []float32
			if needW {
				local = make([]float32, len(dw.F))
			}
			for s := lo; s < hi; s++ {
				for grp := 0; grp < c.Groups; grp++ {
					im2col(col, inSize, 0, gy.F[(s*m+grp*mg)*p:], mg, outSp, x.Shape[2:], pb, geo)
					wg := w.F[grp*cg*mg*kk:]
					if needX {
						linalg.Sgemm(false, false, cg, inSize, mg*kk, 1, wg, mg*kk, col, inSize, 0, dx.F[(s*ch+grp*cg)*inSize:], inSize)
					}
					if needW {
						xs := x.F[(s*ch+grp*cg)*inSize:]
						linalg.Sgemm(false, true, cg, mg*kk, inSize, 1, xs, inSize, col, inSize, 1, local[grp*cg*mg*kk:], mg*kk)
					}
				}
			}
			if needW {
				mu.Lock()
				for i, v := range local {
					dw.F[i] += v
				}
				mu.Unlock()
			}
		})
	}
	res[0], res[1] = dx, dw
	if needAt(need, 2) && len(in) > 2 && in[2] != nil {
		res[2] = channelSums(gy, in[2].Shape)
	}
	return res, nil
}
