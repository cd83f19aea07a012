package ops

// im2col writes, for the channels of one sample x (c channels of spatial
// size in), the patch matrix col of shape (c*prod(kernel), ld) starting at
// column off: row (ci*K + k) holds input values under kernel offset k for
// every output position (zero in the padding).
func im2col(col []float32, ld, off int, x []float32, c int, in, out, pb []int, g *geom) {
	if len(in) == 2 {
		im2col2d(col, ld, off, x, c, in, out, pb, g)
		return
	}
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
					row[q] = xc[flat]
				} else {
					row[q] = 0
				}
			}
		}
	}
}

func im2col2d(col []float32, ld, off int, x []float32, c int, in, out, pb []int, g *geom) {
	ih, iw, oh, ow := in[0], in[1], out[0], out[1]
	kh, kw := g.kernel[0], g.kernel[1]
	sh, sw, dh, dw := g.strides[0], g.strides[1], g.dil[0], g.dil[1]
	for ci := 0; ci < c; ci++ {
		xc := x[ci*ih*iw : (ci+1)*ih*iw]
		for a := 0; a < kh; a++ {
			for b := 0; b < kw; b++ {
				row := col[(ci*kh*kw+a*kw+b)*ld+off:]
				row = row[:oh*ow]
				for y := 0; y < oh; y++ {
					r := row[y*ow : (y+1)*ow]
					yy := y*sh - pb[0] + a*dh
					if yy < 0 || yy >= ih {
						clear(r)
						continue
					}
					xr := xc[yy*iw : (yy+1)*iw]
					x0 := -pb[1] + b*dw
					if sw == 1 && x0 >= 0 && x0+ow <= iw {
						copy(r, xr[x0:x0+ow])
						continue
					}
					for xo := range r {
						xx := x0 + xo*sw
						if xx >= 0 && xx < iw {
							r[xo] = xr[xx]
						} else {
							r[xo] = 0
						}
					}
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it adds each entry of col (shape
// (c*prod(kernel), prod(out))) into the input-shaped x.
func col2im(x []float32, c int, in []int, col []float32, out, pb []int, g *geom) {
	nsp := len(in)
	kk, p, inSize := prod(g.kernel), prod(out), prod(in)
	kidx, oidx := make([]int, nsp), make([]int, nsp)
	for ci := 0; ci < c; ci++ {
		xc := x[ci*inSize:]
		for k := 0; k < kk; k++ {
			unravel(k, g.kernel, kidx)
			row := col[(ci*kk+k)*p:]
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

func prod(v []int) int {
	p := 1
	for _, d := range v {
		p *= d
	}
	return p
}

// unravel writes the row-major multi-index of flat i in shape into idx.
func unravel(i int, shape, idx []int) {
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = i % shape[d]
		i /= shape[d]
	}
}
