package ops

import (
	"github.com/arthost/arthost/plugins/onnx/internal/linalg"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

func gemmDefs() []*Def {
	return []*Def{
		{Op: "Gemm", Build: buildGemm},
		{Op: "MatMul", Build: buildMatMul},
	}
}

// GemmKernel is Y = alpha * A' * B' + beta * C, A' = transA ? A^T : A,
// B' likewise, C broadcast to (M, N).
type GemmKernel struct {
	n              *Node
	TransA, TransB bool
	Alpha, Beta    float32
	// bConst is B when constant, packed once at load into bPacked.
	bConst  *nd.Array
	bPacked *linalg.PackedB
}

func buildGemm(n *Node) (Kernel, error) {
	k := &GemmKernel{n: n,
		TransA: n.Attrs.Int("transA", 0) != 0, TransB: n.Attrs.Int("transB", 0) != 0,
		Alpha: n.Attrs.Float("alpha", 1), Beta: n.Attrs.Float("beta", 1)}
	if err := n.Attrs.Err(); err != nil {
		return nil, n.Errorf("%v", err)
	}
	if b := n.ConstInput(1); b != nil && b.DType == nd.Float32 && b.Rank() == 2 {
		kk, nn := b.Shape[0], b.Shape[1]
		if k.TransB {
			kk, nn = nn, kk
		}
		k.bConst, k.bPacked = b, linalg.PackB(k.TransB, kk, nn, b.F, b.Shape[1])
	}
	return k, nil
}

// Forward computes the product in row blocks, in parallel across rows.
func (g *GemmKernel) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
	a, b := in[0], in[1]
	if a == nil || b == nil || a.DType != nd.Float32 || b.DType != nd.Float32 {
		return nil, g.n.Errorf("A and B must be float tensors")
	}
	if a.Rank() != 2 || b.Rank() != 2 {
		return nil, g.n.Errorf("A and B must be 2-D, got shapes %v and %v", a.Shape, b.Shape)
	}
	m, ka := a.Shape[0], a.Shape[1]
	if g.TransA {
		m, ka = ka, m
	}
	kb, nn := b.Shape[0], b.Shape[1]
	if g.TransB {
		kb, nn = nn, kb
	}
	if ka != kb {
		return nil, g.n.Errorf("inner dimensions differ: A %v, B %v (transA=%v, transB=%v)", a.Shape, b.Shape, g.TransA, g.TransB)
	}
	y := ctx.newOut(m, nn)
	beta := float32(0)
	if len(in) > 2 && in[2] != nil && g.Beta != 0 {
		c := in[2]
		if c.DType != nd.Float32 {
			return nil, g.n.Errorf("C must be float")
		}
		if err := broadcastInto(y, c); err != nil {
			return nil, g.n.Errorf("C: %v", err)
		}
		beta = g.Beta
	}
	ctx.Parallel(m, func(lo, hi int) {
		// Rows lo..hi of op(A): columns of A when transposed.
		aOff := lo * ka
		if g.TransA {
			aOff = lo
		}
		if b == g.bConst {
			linalg.SgemmPackedB(g.TransA, hi-lo, g.Alpha, a.F[aOff:], a.Shape[1], g.bPacked, beta, y.F[lo*nn:], nn)
			return
		}
		linalg.Sgemm(g.TransA, g.TransB, hi-lo, nn, ka, g.Alpha, a.F[aOff:], a.Shape[1], b.F, b.Shape[1], beta, y.F[lo*nn:], nn)
	})
	return []*nd.Array{y}, nil
}

// broadcastInto fills dst with src broadcast to dst's shape
// (unidirectional: src must broadcast to dst).
func broadcastInto(dst, src *nd.Array) error {
	shape, err := nd.BroadcastShape(dst.Shape, src.Shape)
	if err != nil || !nd.EqualShape(shape, dst.Shape) {
		return errorf("shape %v does not broadcast to %v", src.Shape, dst.Shape)
	}
	broadcastLoop(dst.Shape, dst.Shape, src.Shape, func(o, _, ib, cnt, _, sb int) {
		if sb == 1 {
			copy(dst.F[o:o+cnt], src.F[ib:ib+cnt])
			return
		}
		v := src.F[ib]
		row := dst.F[o : o+cnt]
		for k := range row {
			row[k] = v
		}
	})
	return nil
}

// MatMulKernel is numpy matmul on float tensors.
type MatMulKernel struct {
	n       *Node
	bConst  *nd.Array
	bPacked *linalg.PackedB
}

func buildMatMul(n *Node) (Kernel, error) {
	k := &MatMulKernel{n: n}
	if b := n.ConstInput(1); b != nil && b.DType == nd.Float32 && b.Rank() == 2 {
		k.bConst, k.bPacked = b, linalg.PackB(false, b.Shape[0], b.Shape[1], b.F, b.Shape[1])
	}
	return k, nil
}

// Forward multiplies with numpy semantics: 1-D operands are promoted and
// the promoted dimension removed; batch dimensions broadcast.
func (mk *MatMulKernel) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
	a, b := in[0], in[1]
	if a == nil || b == nil || a.DType != nd.Float32 || b.DType != nd.Float32 {
		return nil, mk.n.Errorf("inputs must be float tensors")
	}
	if a.Rank() == 0 || b.Rank() == 0 {
		return nil, mk.n.Errorf("inputs must have rank >= 1, got %v and %v", a.Shape, b.Shape)
	}
	as, bs := a.Shape, b.Shape
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, k, k2, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-2], bs[len(bs)-1]
	if k != k2 {
		return nil, mk.n.Errorf("inner dimensions differ: shapes %v and %v", a.Shape, b.Shape)
	}
	batch, err := nd.BroadcastShape(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, mk.n.Errorf("%v", err)
	}
	outShape := append(append([]int(nil), batch...), m, n)
	y := ctx.newOut(outShape...)
	if len(bs) == 2 {
		// (..., m, k) x (k, n): one GEMM over all rows.
		rows := nd.Size(as[:len(as)-1])
		ctx.Parallel(rows, func(lo, hi int) {
			if b == mk.bConst {
				linalg.SgemmPackedB(false, hi-lo, 1, a.F[lo*k:], k, mk.bPacked, 0, y.F[lo*n:], n)
				return
			}
			linalg.Sgemm(false, false, hi-lo, n, k, 1, a.F[lo*k:], k, b.F, n, 0, y.F[lo*n:], n)
		})
	} else {
		nb := nd.Size(batch)
		ia := batchOffsets(as[:len(as)-2], batch, m*k)
		ib := batchOffsets(bs[:len(bs)-2], batch, k*n)
		ctx.Parallel(nb, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				linalg.Sgemm(false, false, m, n, k, 1, a.F[ia[p]:], k, b.F[ib[p]:], n, 0, y.F[p*m*n:], n)
			}
		})
	}
	final := append([]int(nil), batch...)
	if len(a.Shape) > 1 {
		final = append(final, m)
	}
	if len(b.Shape) > 1 {
		final = append(final, n)
	}
	y.Shape = final
	return []*nd.Array{y}, nil
}

// batchOffsets returns, for each index of the broadcast batch shape, the
// element offset of the matching matrix in an operand with batch shape s.
func batchOffsets(s, batch []int, mat int) []int {
	out := make([]int, nd.Size(batch))
	st := nd.BroadcastStrides(s, batch)
	nd.NewIndexer(batch, batch).Each(func(i int, _ []int) {
		rem, off := i, 0
		for d := len(batch) - 1; d >= 0; d-- {
			off += (rem % batch[d]) * st[d]
			rem /= batch[d]
		}
		out[i] = off * mat
	})
	return out
}
