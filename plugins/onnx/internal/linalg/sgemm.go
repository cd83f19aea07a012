// Package linalg holds the dense float32 matrix kernels the ONNX runtime
// spends its time in: general matrix multiply (Sgemm) for Gemm, MatMul and
// convolutions (im2col + GEMM).
//
// Sgemm is a blocked GEMM in the Goto/BLIS style: B is packed into
// panels of nr columns, A into panels of mr rows, and a register-tiled
// micro-kernel computes each mr x nr tile of C. On amd64 CPUs with AVX2
// and FMA the micro-kernel is Go assembly (kernel_amd64.s); everywhere
// else, or when built with -tags noasm, it is plain Go (kernel_generic.go).
// Both give the same results up to float32 rounding (the assembly kernel
// fuses multiply and add).
package linalg

import "sync"

// Tile and block sizes. mr x nr is the register tile of the micro-kernel
// (12 AVX-512 accumulators, or two passes of 12 AVX2 ones); kc x nr panels
// of B stay in L1, mc x kc of A in L2.
const (
	mr = 12 // packA12 and the AVX-512 kernel assume 12
	nr = 16
	kc = 256
	mc = 72
	nc = 1024
)

var bufPool = sync.Pool{New: func() any { s := make([]float32, 0); return &s }}

func getBuf(n int) *[]float32 {
	p := bufPool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// Sgemm computes C = alpha * op(A) * op(B) + beta * C for row-major
// matrices, where op(X) is X or X^T as transA/transB say, op(A) is m x k,
// op(B) is k x n and C is m x n with row stride ldc. With beta = 0, C is
// overwritten (NaNs in C are not propagated). It panics when a slice is
// too short for its dimensions, which is a caller's bug.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	if k > 0 {
		checkOp("A", a, transA, m, k, lda)
		checkOp("B", b, !transB, n, k, ldb)
	}
	gemm(m, n, k, alpha, rawA{a, lda, transA}, rawB{b, ldb, transB}, beta, c, ldc)
}

// SgemmPackedA is Sgemm with op(A) already packed by PackA (a weight
// matrix packed once at load).
func SgemmPackedA(pa *PackedA, transB bool, n int, alpha float32, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if pa.m <= 0 || n <= 0 {
		return
	}
	if pa.k > 0 {
		checkOp("B", b, !transB, n, pa.k, ldb)
	}
	gemm(pa.m, n, pa.k, alpha, pa, rawB{b, ldb, transB}, beta, c, ldc)
}

// SgemmPackedB is Sgemm with op(B) already packed by PackB.
func SgemmPackedB(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	if m <= 0 || pb.n <= 0 {
		return
	}
	if pb.k > 0 {
		checkOp("A", a, transA, m, pb.k, lda)
	}
	gemm(m, pb.n, pb.k, alpha, rawA{a, lda, transA}, pb, beta, c, ldc)
}

// checkOp panics unless s holds op(X) of rows x cols with stride ld
// (stored transposed when trans).
func checkOp(name string, s []float32, trans bool, rows, cols, ld int) {
	if trans {
		rows, cols = cols, rows
	}
	checkLen(name, s, rows, cols, ld)
}

// aPanels yields packed blocks of op(A): rows [ic, ic+mcb), depth
// [pc, pc+kcb), in mr-row panels.
type aPanels interface {
	panelA(ic, mcb, pc, kcb int, buf []float32) []float32
}

// bPanels yields packed blocks of op(B) in nr-column panels.
type bPanels interface {
	panelB(jc, ncb, pc, kcb int, buf []float32) []float32
}

// BSource computes op(B) blocks on the fly, already packed: for columns
// [jc, jc+ncb) and depth [pc, pc+kcb) it fills buf with ceil(ncb/NR)
// panels, each kcb rows of NR values (zero beyond ncb), and returns it.
// Convolutions implement it to fuse im2col with packing.
type BSource interface {
	PanelB(jc, ncb, pc, kcb int, buf []float32) []float32
}

// NR is the panel width a BSource must produce.
const NR = nr

type sourceB struct{ BSource }

func (s sourceB) panelB(jc, ncb, pc, kcb int, buf []float32) []float32 {
	return s.PanelB(jc, ncb, pc, kcb, buf)
}

// SgemmSource computes C = alpha * op(A) * B + beta * C with op(A)
// pre-packed and B (k x n) produced by src.
func SgemmSource(pa *PackedA, src BSource, n int, alpha, beta float32, c []float32, ldc int) {
	if pa.m <= 0 || n <= 0 {
		return
	}
	gemm(pa.m, n, pa.k, alpha, pa, sourceB{src}, beta, c, ldc)
}

type rawA struct {
	a     []float32
	lda   int
	trans bool
}

func (r rawA) panelA(ic, mcb, pc, kcb int, buf []float32) []float32 {
	packA(buf, r.a, r.lda, r.trans, ic, mcb, pc, kcb)
	return buf
}

type rawB struct {
	b     []float32
	ldb   int
	trans bool
}

func (r rawB) panelB(jc, ncb, pc, kcb int, buf []float32) []float32 {
	packB(buf, r.b, r.ldb, r.trans, pc, kcb, jc, ncb)
	return buf
}

func gemm(m, n, k int, alpha float32, as aPanels, bs bPanels, beta float32, c []float32, ldc int) {
	checkLen("C", c, m, n, ldc)
	if k <= 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	// With beta = 0 the first depth block stores its tiles instead of
	// adding them to a cleared C.
	set := beta == 0
	if !set {
		scaleC(m, n, beta, c, ldc)
	}
	// Packing buffers as deep as the product (k may be far below kc).
	bp := getBuf(min(k, kc) * roundUp(min(n, nc), nr))
	ap := getBuf(min(k, kc) * roundUp(min(m, mc), mr))
	defer bufPool.Put(bp)
	defer bufPool.Put(ap)
	var tile [mr * nr]float32
	for jc := 0; jc < n; jc += nc {
		ncb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcb := min(kc, k-pc)
			first := set && pc == 0
			bblk := bs.panelB(jc, ncb, pc, kcb, *bp)
			for ic := 0; ic < m; ic += mc {
				mcb := min(mc, m-ic)
				ablk := as.panelA(ic, mcb, pc, kcb, *ap)
				for jr := 0; jr < ncb; jr += nr {
					bpanel := bblk[(jr/nr)*kcb*nr:]
					for ir := 0; ir < mcb; ir += mr {
						apanel := ablk[(ir/mr)*kcb*mr:]
						rows, cols := min(mr, mcb-ir), min(nr, ncb-jr)
						if cols == nr && alpha == 1 {
							kernelAcc(kcb, apanel, bpanel, c[(ic+ir)*ldc+jc+jr:], ldc, rows, first)
							continue
						}
						kernelAcc(kcb, apanel, bpanel, tile[:], nr, mr, true)
						addTile(c, ldc, ic+ir, jc+jr, rows, cols, alpha, &tile, first)
					}
				}
			}
		}
	}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

func checkLen(name string, s []float32, rows, cols, ld int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if ld < cols || len(s) < (rows-1)*ld+cols {
		panic("linalg: " + name + " is too short for its dimensions")
	}
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// addTile adds alpha * tile (rows x cols of an mr x nr tile) into C at
// (i0, j0), or with set stores it there.
func addTile(c []float32, ldc, i0, j0, rows, cols int, alpha float32, tile *[mr * nr]float32, set bool) {
	for i := 0; i < rows; i++ {
		dst := c[(i0+i)*ldc+j0 : (i0+i)*ldc+j0+cols]
		src := tile[i*nr : i*nr+cols]
		if set {
			for j, v := range src {
				dst[j] = alpha * v
			}
			continue
		}
		if alpha == 1 {
			for j, v := range src {
				dst[j] += v
			}
			continue
		}
		for j, v := range src {
			dst[j] += alpha * v
		}
	}
}

// packB copies op(B)[pc:pc+kcb, jc:jc+ncb] into panels of nr columns:
// panel q holds, for each p, the nr values of row p (zero padded).
func packB(dst, b []float32, ldb int, trans bool, pc, kcb, jc, ncb int) {
	for jr := 0; jr < ncb; jr += nr {
		panel := dst[(jr/nr)*kcb*nr : (jr/nr+1)*kcb*nr]
		cols := min(nr, ncb-jr)
		for p := 0; p < kcb; p++ {
			row := panel[p*nr : p*nr+nr]
			if !trans {
				src := b[(pc+p)*ldb+jc+jr:]
				copy(row[:cols], src[:cols])
			} else {
				for j := 0; j < cols; j++ {
					row[j] = b[(jc+jr+j)*ldb+pc+p]
				}
			}
			clear(row[cols:])
		}
	}
}

// packA copies op(A)[ic:ic+mcb, pc:pc+kcb] into panels of mr rows: panel
// q holds, for each p, the mr values of column p (zero padded).
func packA(dst, a []float32, lda int, trans bool, ic, mcb, pc, kcb int) {
	for ir := 0; ir < mcb; ir += mr {
		panel := dst[(ir/mr)*kcb*mr : (ir/mr+1)*kcb*mr]
		rows := min(mr, mcb-ir)
		if trans {
			for p := 0; p < kcb; p++ {
				col := panel[p*mr : p*mr+mr]
				copy(col[:rows], a[(pc+p)*lda+ic+ir:])
				clear(col[rows:])
			}
			continue
		}
		if rows == mr && !trans {
			packA12(panel, a[(ic+ir)*lda+pc:], lda, kcb)
			continue
		}
		for i := 0; i < mr; i++ {
			if i >= rows {
				for p := 0; p < kcb; p++ {
					panel[p*mr+i] = 0
				}
				continue
			}
			src := a[(ic+ir+i)*lda+pc : (ic+ir+i)*lda+pc+kcb]
			for p, v := range src {
				panel[p*mr+i] = v
			}
		}
	}
}

// packA12 transposes a 12 x kcb block of row-major A (row stride lda) into
// a panel of kcb columns of 12. The rows are named so that the compiler
// drops the bounds checks (mr must be 12).
func packA12(panel, a []float32, lda, kcb int) {
	r0 := a[:kcb]
	r1, r2, r3 := a[lda:][:len(r0)], a[2*lda:][:len(r0)], a[3*lda:][:len(r0)]
	r4, r5, r6 := a[4*lda:][:len(r0)], a[5*lda:][:len(r0)], a[6*lda:][:len(r0)]
	r7, r8, r9 := a[7*lda:][:len(r0)], a[8*lda:][:len(r0)], a[9*lda:][:len(r0)]
	r10, r11 := a[10*lda:][:len(r0)], a[11*lda:][:len(r0)]
	panel = panel[:len(r0)*12]
	for p := packA12Fast(panel, a, lda, kcb); p < len(r0); p++ {
		col := (*[12]float32)(panel[p*12:])
		col[0], col[1], col[2], col[3] = r0[p], r1[p], r2[p], r3[p]
		col[4], col[5], col[6], col[7] = r4[p], r5[p], r6[p], r7[p]
		col[8], col[9], col[10], col[11] = r8[p], r9[p], r10[p], r11[p]
	}
}
