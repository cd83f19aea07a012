package dense

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas/blas64"
)

// Cache blocking around the micro-kernel, which keeps an mr x nr block of
// C in registers (see tileShape): a packed kc x nr panel of B (at most 32
// KiB) stays in L1, an mc x kc block of A (192 KiB) in L2, and a kc x nc
// block of B (1 MiB) in L2/L3.
const (
	kc = 256
	mc = 96  // multiple of every mr
	nc = 512 // multiple of every nr
)

// maxTile bounds mr*nr of every tile shape (sizes the edge buffer).
const maxTile = 8 * 16

// tileShape is a micro-kernel: the mr x nr tile of C it updates and its
// assembly, nil for the portable kernelGo.
type tileShape struct {
	mr, nr int
	asm    func(k int, a, b, c *float64, ldc int)
}

// kernel runs the tile's micro-kernel: C[i*ldc+j] -= sum_p a[p*mr+i]
// b[p*nr+j] for the full mr x nr tile, k >= 1.
func (t tileShape) kernel(k int, a, b, c []float64, ldc int) {
	if t.asm == nil {
		t.kernelGo(k, a, b, c, ldc)
		return
	}
	// Bounds the assembly relies on.
	_ = a[k*t.mr-1]
	_ = b[k*t.nr-1]
	_ = c[(t.mr-1)*ldc+t.nr-1]
	t.asm(k, &a[0], &b[0], &c[0], ldc)
}

// parallelFlops is the product size m*n*k above which MulSub splits C
// between goroutines; below it the goroutine start-up outweighs the gain.
const parallelFlops = 1 << 21

// View returns the r x c submatrix of g starting at row i, column j.
func View(g blas64.General, i, j, r, c int) blas64.General {
	if r == 0 || c == 0 {
		return blas64.General{Rows: r, Cols: c, Stride: g.Stride}
	}
	return blas64.General{Rows: r, Cols: c, Stride: g.Stride, Data: g.Data[i*g.Stride+j:]}
}

// opDims returns the dimensions of op(g).
func opDims(g blas64.General, trans bool) (r, c int) {
	if trans {
		return g.Cols, g.Rows
	}
	return g.Rows, g.Cols
}

// workers returns how many goroutines to split work of size flops over.
func workers(flops int) int {
	if flops < parallelFlops {
		return 1
	}
	return min(runtime.GOMAXPROCS(0), maxWorkers)
}

// maxWorkers caps the goroutines one call starts: GP classification
// benchmarks run on two cores, and each worker packs its own copy of B.
const maxWorkers = 4

// MulSub computes C -= op(A) op(B), where op(X) is X or its transpose
// X', splitting large products between goroutines. It panics when the
// dimensions do not agree.
func MulSub(c blas64.General, a blas64.General, transA bool, b blas64.General, transB bool) {
	mulSub(c, a, transA, b, transB, true)
}

// mulSub is MulSub, on the calling goroutine only unless par is set.
func mulSub(c blas64.General, a blas64.General, transA bool, b blas64.General, transB bool, par bool) {
	m, k := opDims(a, transA)
	kb, n := opDims(b, transB)
	if m != c.Rows || n != c.Cols || k != kb {
		panic("dense: MulSub dimension mismatch")
	}
	if m == 0 || n == 0 || k == 0 {
		return
	}
	w := 1
	if par {
		w = workers(m * n * k)
	}
	if w < 2 {
		mulSubSerial(c, a, transA, b, transB)
		return
	}
	var wg sync.WaitGroup
	if m >= n {
		// Split the rows of C (and of op(A)) on tile boundaries.
		h := (m/w + tile.mr - 1) / tile.mr * tile.mr
		for lo := 0; lo < m; lo += h {
			r := min(h, m-lo)
			ai := rowsOf(a, transA, lo, r)
			wg.Add(1)
			go func() {
				defer wg.Done()
				mulSubSerial(View(c, lo, 0, r, n), ai, transA, b, transB)
			}()
		}
	} else {
		h := (n/w + tile.nr - 1) / tile.nr * tile.nr
		for lo := 0; lo < n; lo += h {
			cols := min(h, n-lo)
			bj := colsOf(b, transB, lo, cols)
			wg.Add(1)
			go func() {
				defer wg.Done()
				mulSubSerial(View(c, 0, lo, m, cols), a, transA, bj, transB)
			}()
		}
	}
	wg.Wait()
}

// rowsOf returns the stored matrix whose op is rows [lo, lo+r) of op(a).
func rowsOf(a blas64.General, trans bool, lo, r int) blas64.General {
	if trans {
		return View(a, 0, lo, a.Rows, r)
	}
	return View(a, lo, 0, r, a.Cols)
}

// colsOf returns the stored matrix whose op is columns [lo, lo+w) of op(b).
func colsOf(b blas64.General, trans bool, lo, w int) blas64.General {
	if trans {
		return View(b, lo, 0, w, b.Cols)
	}
	return View(b, 0, lo, b.Rows, w)
}

// packPool recycles the packing buffers of mulSubSerial.
var packPool = sync.Pool{New: func() any {
	return &packBufs{a: make([]float64, mc*kc), b: make([]float64, kc*nc)}
}}

type packBufs struct{ a, b []float64 }

// mulSubSerial is MulSub on the calling goroutine: the classic three
// cache-blocking loops around packed panels and the micro-kernel.
func mulSubSerial(c, a blas64.General, transA bool, b blas64.General, transB bool) {
	m, k := opDims(a, transA)
	_, n := opDims(b, transB)
	bufs := packPool.Get().(*packBufs)
	defer packPool.Put(bufs)
	t := tile
	mr, nr := t.mr, t.nr
	var edge [maxTile]float64
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			packB(bufs.b, b, transB, pc, kb, jc, nb, nr)
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				packA(bufs.a, a, transA, ic, mb, pc, kb, mr)
				for jr := 0; jr < nb; jr += nr {
					bp := bufs.b[jr*kb:]
					w := min(nr, nb-jr)
					for ir := 0; ir < mb; ir += mr {
						ap := bufs.a[ir*kb:]
						h := min(mr, mb-ir)
						ci := (ic+ir)*c.Stride + jc + jr
						if h == mr && w == nr {
							t.kernel(kb, ap, bp, c.Data[ci:], c.Stride)
							continue
						}
						// Partial tile: compute -A B into a zeroed buffer
						// and add its valid part.
						edge = [maxTile]float64{}
						t.kernel(kb, ap, bp, edge[:], nr)
						for i := 0; i < h; i++ {
							row := c.Data[ci+i*c.Stride : ci+i*c.Stride+w]
							for j := range row {
								row[j] += edge[i*nr+j]
							}
						}
					}
				}
			}
		}
	}
}

// packA copies rows [i0, i0+rows) and columns [p0, p0+kb) of op(a) into
// dst as consecutive mr-row panels, each stored column by column (mr
// values per column), zero-padding the last panel.
func packA(dst []float64, a blas64.General, trans bool, i0, rows, p0, kb, mr int) {
	for ir := 0; ir < rows; ir += mr {
		panel := dst[ir*kb : ir*kb+mr*kb]
		h := min(mr, rows-ir)
		if h < mr {
			clear(panel)
		}
		if trans {
			// Column p of the panel is a contiguous piece of row p0+p of a.
			for p := 0; p < kb; p++ {
				off := (p0+p)*a.Stride + i0 + ir
				copy(panel[p*mr:p*mr+h], a.Data[off:off+h])
			}
			continue
		}
		gather(panel, a, i0+ir, h, p0, kb, mr)
	}
}

// packB copies rows [p0, p0+kb) and columns [j0, j0+cols) of op(b) into
// dst as consecutive nr-column panels, each stored row by row (nr values
// per row), zero-padding the last panel.
func packB(dst []float64, b blas64.General, trans bool, p0, kb, j0, cols, nr int) {
	for jr := 0; jr < cols; jr += nr {
		panel := dst[jr*kb : jr*kb+nr*kb]
		w := min(nr, cols-jr)
		if w < nr {
			clear(panel)
		}
		if trans {
			gather(panel, b, j0+jr, w, p0, kb, nr)
			continue
		}
		for p := 0; p < kb; p++ {
			off := (p0+p)*b.Stride + j0 + jr
			copy(panel[p*nr:p*nr+w], b.Data[off:off+w])
		}
	}
}

// gather writes the transpose of rows [r0, r0+h) and columns [p0, p0+kb)
// of g into panel: panel[p*width+i] = g[r0+i, p0+p], reading the h rows
// side by side so that each panel row is written contiguously.
func gather(panel []float64, g blas64.General, r0, h, p0, kb, width int) {
	var src [16][]float64
	for i := 0; i < h; i++ {
		off := (r0+i)*g.Stride + p0
		src[i] = g.Data[off : off+kb]
	}
	if h == 8 || h == 16 {
		for i0 := 0; i0 < h; i0 += 8 {
			s0, s1, s2, s3 := src[i0], src[i0+1], src[i0+2], src[i0+3]
			s4, s5, s6, s7 := src[i0+4], src[i0+5], src[i0+6], src[i0+7]
			for p := 0; p < kb; p++ {
				d := panel[p*width+i0 : p*width+i0+8]
				d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
				d[4], d[5], d[6], d[7] = s4[p], s5[p], s6[p], s7[p]
			}
		}
		return
	}
	for p := 0; p < kb; p++ {
		d := panel[p*width : p*width+h]
		for i := range d {
			d[i] = src[i][p]
		}
	}
}

// kernelGo is the portable micro-kernel.
func (t tileShape) kernelGo(k int, a, b, c []float64, ldc int) {
	mr, nr := t.mr, t.nr
	var acc [maxTile]float64
	for p := 0; p < k; p++ {
		ap := a[p*mr : p*mr+mr]
		bp := b[p*nr : p*nr+nr]
		for i, av := range ap {
			row := acc[i*nr : i*nr+nr]
			for j, bv := range bp {
				row[j] += av * bv
			}
		}
	}
	for i := 0; i < mr; i++ {
		row := c[i*ldc : i*ldc+nr]
		for j := range row {
			row[j] -= acc[i*nr+j]
		}
	}
}
