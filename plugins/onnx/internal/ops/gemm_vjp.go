package ops

import (
	"github.com/arthost/arthost/plugins/onnx/internal/linalg"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// vjpGemm is the backward rule of Y = alpha A'B' + beta C (A' = A or A^T,
// B' likewise, g = dY of shape (M, N)):
//
//	dA' = alpha g B'^T, dB' = alpha A'^T g, dC = beta * sum of g over the
//	dimensions C was broadcast along.
func vjpGemm(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	gk, ok := unbind(k).(*GemmKernel)
	if !ok {
		return nil, errorf("Gemm vjp: kernel is %T", unbind(k))
	}
	res := grads(len(in))
	g := gout[0]
	if g == nil {
		return res, nil
	}
	if err := checkGout("Gemm", g, out[0]); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	m, n := g.Shape[0], g.Shape[1]
	kk := a.Shape[1]
	if gk.TransA {
		kk = a.Shape[0]
	}
	lda, ldb := a.Shape[1], b.Shape[1]
	if needAt(need, 0) {
		da := ctx.newOut(append([]int(nil), a.Shape...)...)
		if gk.TransA {
			// A is (K, M): dA = alpha B' g^T.
			linalg.Sgemm(gk.TransB, true, kk, m, n, gk.Alpha, b.F, ldb, g.F, n, 0, da.F, m)
		} else {
			ctx.Parallel(m, func(lo, hi int) {
				linalg.Sgemm(false, !gk.TransB, hi-lo, kk, n, gk.Alpha, g.F[lo*n:], n, b.F, ldb, 0, da.F[lo*kk:], kk)
			})
		}
		res[0] = da
	}
	if needAt(need, 1) {
		db := ctx.newOut(append([]int(nil), b.Shape...)...)
		if gk.TransB {
			// B is (N, K): dB = alpha g^T A'.
			linalg.Sgemm(true, gk.TransA, n, kk, m, gk.Alpha, g.F, n, a.F, lda, 0, db.F, kk)
		} else {
			linalg.Sgemm(!gk.TransA, false, kk, n, m, gk.Alpha, a.F, lda, g.F, n, 0, db.F, n)
		}
		res[1] = db
	}
	if needAt(need, 2) && len(in) > 2 && in[2] != nil {
		dc := unbroadcast(g, in[2].Shape)
		if dc == g || gk.Beta != 1 {
			scaled := zerosLike(dc)
			for i, v := range dc.F {
				scaled.F[i] = gk.Beta * v
			}
			dc = scaled
		}
		res[2] = dc
	}
	return res, nil
}

// vjpMatMul is the backward rule of numpy matmul Y = A B: per broadcast
// batch index dA = g B^T and dB = A^T g, summed over the batch
// dimensions an operand was broadcast along.
func vjpMatMul(ctx *Ctx, k Kernel, in, out, gout []*nd.Array, need []bool) ([]*nd.Array, error) {
	res := grads(len(in))
	g := gout[0]
	if g == nil {
		return res, nil
	}
	if err := checkGout("MatMul", g, out[0]); err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	as, bs := a.Shape, b.Shape
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, kk, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	if len(bs) == 2 {
		rows := nd.Size(as[:len(as)-1])
		if needAt(need, 0) {
			da := ctx.newOut(append([]int(nil), a.Shape...)...)
			ctx.Parallel(rows, func(lo, hi int) {
				linalg.Sgemm(false, true, hi-lo, kk, n, 1, g.F[lo*n:], n, b.F, n, 0, da.F[lo*kk:], kk)
			})
			res[0] = da
		}
		if needAt(need, 1) {
			db := ctx.newOut(append([]int(nil), b.Shape...)...)
			linalg.Sgemm(true, false, kk, n, rows, 1, a.F, kk, g.F, n, 0, db.F, n)
			res[1] = db
		}
		return res, nil
	}
	batch, err := nd.BroadcastShape(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, errorf("MatMul vjp: %v", err)
	}
	nb := nd.Size(batch)
	ia := batchOffsets(as[:len(as)-2], batch, m*kk)
	ib := batchOffsets(bs[:len(bs)-2], batch, kk*n)
	if needAt(need, 0) {
		full := nd.NewF(append(append([]int(nil), batch...), m, kk)...)
		for p := 0; p < nb; p++ {
			linalg.Sgemm(false, true, m, kk, n, 1, g.F[p*m*n:], n, b.F[ib[p]:], n, 0, full.F[p*m*kk:], kk)
		}
		res[0] = unbroadcast(full, as).Reshaped(append([]int(nil), a.Shape...)...)
	}
	if needAt(need, 1) {
		full := nd.NewF(append(append([]int(nil), batch...), kk, n)...)
		for p := 0; p < nb; p++ {
			linalg.Sgemm(true, false, kk, n, m, 1, a.F[ia[p]:], kk, g.F[p*m*n:], n, 0, full.F[p*kk*n:], n)
		}
		res[1] = unbroadcast(full, bs).Reshaped(append([]int(nil), b.Shape...)...)
	}
	return res, nil
}
