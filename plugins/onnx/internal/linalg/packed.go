package linalg

// PackedA is op(A) packed once into the panel layout the GEMM consumes,
// for a matrix used many times (a layer's weights).
type PackedA struct {
	m, k   int
	blocks map[[2]int][]float32 // (ic, pc) -> panels
}

// PackA packs op(A) (m x k; A stored transposed when trans).
func PackA(trans bool, m, k int, a []float32, lda int) *PackedA {
	if m > 0 && k > 0 {
		checkOp("A", a, trans, m, k, lda)
	}
	p := &PackedA{m: m, k: k, blocks: map[[2]int][]float32{}}
	for pc := 0; pc < k; pc += kc {
		kcb := min(kc, k-pc)
		for ic := 0; ic < m; ic += mc {
			mcb := min(mc, m-ic)
			buf := make([]float32, kcb*roundUp(mcb, mr))
			packA(buf, a, lda, trans, ic, mcb, pc, kcb)
			p.blocks[[2]int{ic, pc}] = buf
		}
	}
	return p
}

// Rows and Cols return the dimensions of op(A).
func (p *PackedA) Rows() int { return p.m }

// Cols returns the depth k of op(A).
func (p *PackedA) Cols() int { return p.k }

func (p *PackedA) panelA(ic, _, pc, _ int, _ []float32) []float32 { return p.blocks[[2]int{ic, pc}] }

// PackedB is op(B) packed once (k x n).
type PackedB struct {
	n, k   int
	blocks map[[2]int][]float32 // (jc, pc) -> panels
}

// PackB packs op(B) (k x n; B stored transposed when trans).
func PackB(trans bool, k, n int, b []float32, ldb int) *PackedB {
	if n > 0 && k > 0 {
		checkOp("B", b, !trans, n, k, ldb)
	}
	p := &PackedB{n: n, k: k, blocks: map[[2]int][]float32{}}
	for jc := 0; jc < n; jc += nc {
		ncb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcb := min(kc, k-pc)
			buf := make([]float32, kcb*roundUp(ncb, nr))
			packB(buf, b, ldb, trans, pc, kcb, jc, ncb)
			p.blocks[[2]int{jc, pc}] = buf
		}
	}
	return p
}

// Rows returns the depth k of op(B).
func (p *PackedB) Rows() int { return p.k }

// Cols returns the number of columns of op(B).
func (p *PackedB) Cols() int { return p.n }

func (p *PackedB) panelB(jc, _, pc, _ int, _ []float32) []float32 { return p.blocks[[2]int{jc, pc}] }
