package linalg

import "fmt"

// Tile sizes of the micro-kernel: mr rows of x by nr columns of W^T.
const (
	mr = 8
	nr = 8
)

// chunkBytes bounds the block of x rows that meets every panel of W before
// the next block is read, so the block stays in L2 while the panels (each
// depth*nr values) stream through L1.
const chunkBytes = 128 << 10

// Weights is an r x d matrix W and a bias b (r values), packed for
// products x W^T + b: ceil(r/nr) panels of d*nr values, panel p holding
// columns p*nr.. of W^T (rows of W) depth by depth, zero-padded past r,
// and the bias padded likewise.
type Weights struct {
	r, d   int
	panels []float64
	bias   []float64
	// tail holds the rows of W in the last panel (row-major, d values
	// each) when that panel is narrow enough for row-by-row dot products
	// to beat the padded panel (see useTail); nil otherwise.
	tail []float64
}

// useTail reports whether a last panel of cols columns over depth d is
// cheaper as dot products (about d/8 vector steps plus a reduction per
// column) than as a padded panel (d steps for all nr columns).
func useTail(cols, d int) bool { return cols < nr && d >= 8 && cols*(d/8+4) < d }

// Rows is r, the number of outputs per input row.
func (w *Weights) Rows() int { return w.r }

// Depth is d, the number of inputs per row.
func (w *Weights) Depth() int { return w.d }

// PackT packs the row-major r x d matrix w (one output per row, as
// scikit-learn's coef_ and support_vectors_) and the bias (r values, or
// nil for none). It panics if len(w) < r*d or the bias is short.
func PackT(w []float64, r, d int, bias []float64) *Weights {
	return pack(w, r, d, bias, func(j, k int) float64 { return w[j*d+k] })
}

// Pack packs the row-major d x r matrix w (one output per column, as
// MLPClassifier's coefs_) and the bias (r values, or nil). It panics if
// len(w) < r*d or the bias is short.
func Pack(w []float64, d, r int, bias []float64) *Weights {
	return pack(w, r, d, bias, func(j, k int) float64 { return w[k*r+j] })
}

func pack(w []float64, r, d int, bias []float64, at func(j, k int) float64) *Weights {
	if r < 0 || d < 0 || len(w) < r*d || (bias != nil && len(bias) < r) {
		panic(fmt.Sprintf("linalg: pack %d x %d from %d values, bias %d", r, d, len(w), len(bias)))
	}
	p := &Weights{r: r, d: d, panels: make([]float64, panels(r)*d*nr), bias: make([]float64, panels(r)*nr)}
	for j := 0; j < r; j++ {
		panel := p.panels[(j/nr)*d*nr:]
		for k := 0; k < d; k++ {
			panel[k*nr+j%nr] = at(j, k)
		}
	}
	if bias != nil {
		copy(p.bias, bias[:r])
	}
	if j0 := (panels(r) - 1) * nr; r > 0 && useTail(r-j0, d) {
		p.tail = make([]float64, (r-j0)*d)
		for j := j0; j < r; j++ {
			for k := 0; k < d; k++ {
				p.tail[(j-j0)*d+k] = at(j, k)
			}
		}
	}
	return p
}

func panels(r int) int { return (r + nr - 1) / nr }

// Mul sets dst (n x r, row stride r) to x W^T + b, x being n rows of d
// values (row-major). Each output is sum_k x[i,k] W[j,k] summed in k
// order, then b[j] is added. It panics when a slice is too short for n.
func (w *Weights) Mul(dst, x []float64, n int) {
	w.mul(dst, x, n, kernel, tailDot)
}

// microKernel sets the first cols columns of an mr x nr tile at c (row
// stride ldc) to mr rows of a (row stride lda) times one packed panel b,
// over depth k, plus the panel's bias.
type microKernel func(k int, a []float64, lda int, b, bias, c []float64, ldc, cols int)

// tailKernel is tailDot's signature: it reports false when it cannot run.
type tailKernel func(k int, a []float64, lda int, tail []float64, cols int, bias, c []float64, ldc int) bool

// mul is Mul with the micro-kernel and, for a narrow last panel, the dot
// kernel given (tail may be nil: the padded panel is then used).
func (w *Weights) mul(dst, x []float64, n int, kern microKernel, tail tailKernel) {
	r, d := w.r, w.d
	if n < 0 || len(x) < n*d || len(dst) < n*r {
		panic(fmt.Sprintf("linalg: mul of %d rows: x %d, dst %d values for %d x %d weights", n, len(x), len(dst), r, d))
	}
	if n == 0 || r == 0 {
		return
	}
	chunk := max(mr, (chunkBytes/8/max(d, 1))/mr*mr)
	full := n / mr * mr
	last := panels(r) - 1
	for lo := 0; lo < full; lo += chunk {
		hi := min(lo+chunk, full)
		for p := 0; p <= last; p++ {
			panel, bias := w.panels[p*d*nr:(p+1)*d*nr], w.bias[p*nr:(p+1)*nr]
			cols := min(nr, r-p*nr)
			for i := lo; i < hi; i += mr {
				if p == last && w.tail != nil && tail != nil && tail(d, x[i*d:], d, w.tail, cols, bias, dst[i*r+p*nr:], r) {
					continue
				}
				kern(d, x[i*d:], d, panel, bias, dst[i*r+p*nr:], r, cols)
			}
		}
	}
	if rest := n - full; rest > 0 {
		// The last rows go through the same kernel from a zero-padded copy,
		// so they are summed exactly as the others.
		pad := make([]float64, mr*max(d, 1))
		copy(pad, x[full*d:n*d])
		var tile [mr * nr]float64
		for p := 0; p <= last; p++ {
			cols := min(nr, r-p*nr)
			if p != last || w.tail == nil || tail == nil || !tail(d, pad, d, w.tail, cols, w.bias[p*nr:(p+1)*nr], tile[:], nr) {
				kern(d, pad, d, w.panels[p*d*nr:(p+1)*d*nr], w.bias[p*nr:(p+1)*nr], tile[:], nr, nr)
			}
			for i := 0; i < rest; i++ {
				copy(dst[(full+i)*r+p*nr:(full+i)*r+p*nr+cols], tile[i*nr:i*nr+cols])
			}
		}
	}
}
