package ops

import "math"

// pool2d is the fast path of PoolKernel for 2-D planes without an indices
// output: the window is clipped once per output row and column instead of
// testing every element. It matches the generic path exactly (same
// row-major summation order over the window).
func (k *PoolKernel) pool2d(dst, src []float32, in, out, pb, pe []int, g *geom) {
	ih, iw, oh, ow := in[0], in[1], out[0], out[1]
	kh, kw := g.kernel[0], g.kernel[1]
	sh, sw, dh, dw := g.strides[0], g.strides[1], g.dil[0], g.dil[1]
	if k.Max && kh == 2 && kw == 2 && sh == 2 && sw == 2 && dh == 1 && dw == 1 &&
		pb[0] == 0 && pb[1] == 0 && 2*oh <= ih && 2*ow <= iw {
		maxPool2x2(dst, src, iw, oh, ow)
		return
	}
	for y := 0; y < oh; y++ {
		y0 := y*sh - pb[0]
		a0, a1 := clipWindow(y0, kh, dh, 0, ih)
		pa0, pa1 := clipWindow(y0, kh, dh, -pb[0], ih+pe[0])
		for x := 0; x < ow; x++ {
			x0 := x*sw - pb[1]
			b0, b1 := clipWindow(x0, kw, dw, 0, iw)
			var v float32
			switch {
			case a1 <= a0 || b1 <= b0:
				if k.Max {
					v = float32(math.Inf(-1))
				}
			case k.Max:
				v = float32(math.Inf(-1))
				for a := a0; a < a1; a++ {
					row := src[(y0+a*dh)*iw:]
					for b := b0; b < b1; b++ {
						v = max32(v, row[x0+b*dw])
					}
				}
			default:
				for a := a0; a < a1; a++ {
					row := src[(y0+a*dh)*iw:]
					for b := b0; b < b1; b++ {
						v += row[x0+b*dw]
					}
				}
				cnt := (a1 - a0) * (b1 - b0)
				if k.IncludePad {
					pb0, pb1 := clipWindow(x0, kw, dw, -pb[1], iw+pe[1])
					cnt = (pa1 - pa0) * (pb1 - pb0)
				}
				v /= float32(cnt)
			}
			dst[y*ow+x] = v
		}
	}
}

// clipWindow returns the range [t0, t1) of kernel taps t (0 <= t < k)
// whose position start + t*d lies in [lo, hi).
func clipWindow(start, k, d, lo, hi int) (int, int) {
	t0 := 0
	if start < lo {
		t0 = (lo - start + d - 1) / d
	}
	t1 := k
	if last := start + (k-1)*d; last >= hi {
		t1 = (hi - start + d - 1) / d
	}
	if t1 < t0 {
		t1 = t0
	}
	return min(t0, k), min(t1, k)
}

// max32 is the larger of a and b (the builtin, which compiles without
// branches; random activations defeat a branch predictor).
func max32(a, b float32) float32 { return max(a, b) }

// maxPool2x2 is the 2x2, stride 2, unpadded max pool (the most common),
// with AVX2 on groups of 4 windows where available.
func maxPool2x2(dst, src []float32, iw, oh, ow int) {
	done := maxPool2x2Fast(dst, src, iw, oh, ow)
	if done == ow {
		return
	}
	for y := 0; y < oh; y++ {
		r0 := src[2*y*iw : 2*y*iw+2*ow]
		r1 := src[(2*y+1)*iw : (2*y+1)*iw+2*ow]
		d := dst[y*ow : (y+1)*ow]
		for x := done; x < len(d); x++ {
			d[x] = max(max(r0[2*x], r0[2*x+1]), max(r1[2*x], r1[2*x+1]))
		}
	}
}
