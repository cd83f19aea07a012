package ops

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

func poolDefs() []*Def {
	return []*Def{
		{Op: "MaxPool", Build: func(n *Node) (Kernel, error) { return &PoolKernel{n: n, Max: true}, nil }},
		{Op: "AveragePool", Build: func(n *Node) (Kernel, error) {
			return &PoolKernel{n: n, IncludePad: n.Attrs.Int("count_include_pad", 0) != 0}, nil
		}},
		{Op: "GlobalAveragePool", Build: func(n *Node) (Kernel, error) { return &GlobalPoolKernel{n: n}, nil }},
		{Op: "GlobalMaxPool", Build: func(n *Node) (Kernel, error) { return &GlobalPoolKernel{n: n, Max: true}, nil }},
	}
}

// PoolKernel is MaxPool or AveragePool over the spatial axes of (N, C, ...).
// MaxPool's optional second output holds the flat argmax indices
// (row-major over N, C and space, or column-major space for
// storage_order=1); ties keep the first maximum.
type PoolKernel struct {
	n          *Node
	Max        bool
	IncludePad bool
}

// Forward pools every (sample, channel) plane, in parallel across planes.
func (k *PoolKernel) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
	x := in[0]
	if x == nil || x.DType != nd.Float32 || x.Rank() < 3 {
		return nil, k.n.Errorf("X must be a float tensor of rank >= 3, got %s %v", dtypeOf(x), shapeOf(x))
	}
	sp := x.Shape[2:]
	g, err := readGeom(k.n, len(sp), nil)
	if err != nil {
		return nil, k.n.Errorf("%v", err)
	}
	out, pb, pe, err := g.outShape(sp)
	if err != nil {
		return nil, k.n.Errorf("%v", err)
	}
	planes, inSize, p := x.Shape[0]*x.Shape[1], prod(sp), prod(out)
	y := ctx.NewF(append([]int{x.Shape[0], x.Shape[1]}, out...)...)
	var idx *nd.Array
	if k.Max && k.n.NumOutputs > 1 {
		idx = nd.NewI(append([]int(nil), y.Shape...)...)
	}
	colMajor := k.n.Attrs.Int("storage_order", 0) == 1
	if len(sp) == 2 && idx == nil {
		ctx.Parallel(planes, func(lo, hi int) {
			for pl := lo; pl < hi; pl++ {
				k.pool2d(y.F[pl*p:(pl+1)*p], x.F[pl*inSize:(pl+1)*inSize], sp, out, pb, pe, g)
			}
		})
		return []*nd.Array{y}, nil
	}
	ctx.Parallel(planes, func(lo, hi int) {
		nsp := len(sp)
		oidx, kidx, pos := make([]int, nsp), make([]int, nsp), make([]int, nsp)
		kk := prod(g.kernel)
		for pl := lo; pl < hi; pl++ {
			xp := x.F[pl*inSize : (pl+1)*inSize]
			for q := 0; q < p; q++ {
				unravel(q, out, oidx)
				best, bestAt := float32(math.Inf(-1)), -1
				var sum float32
				cnt := 0
				for kq := 0; kq < kk; kq++ {
					unravel(kq, g.kernel, kidx)
					flat, inside, inPad := 0, true, true
					for d := 0; d < nsp; d++ {
						pos[d] = oidx[d]*g.strides[d] - pb[d] + kidx[d]*g.dil[d]
						if pos[d] < 0 || pos[d] >= sp[d] {
							inside = false
							if pos[d] < -pb[d] || pos[d] >= sp[d]+pe[d] {
								inPad = false
							}
						}
						flat = flat*sp[d] + min(max(pos[d], 0), sp[d]-1)
					}
					if !inside {
						if k.IncludePad && inPad {
							cnt++
						}
						continue
					}
					v := xp[flat]
					if k.Max {
						if v > best || bestAt < 0 {
							best, bestAt = v, flat
							if colMajor {
								bestAt = colMajorIndex(pos, sp)
							}
						}
					} else {
						sum += v
						cnt++
					}
				}
				if k.Max {
					y.F[pl*p+q] = best
					if idx != nil {
						idx.I[pl*p+q] = int64(pl*inSize + bestAt)
					}
				} else if cnt > 0 {
					y.F[pl*p+q] = sum / float32(cnt)
				}
			}
		}
	})
	if idx != nil {
		return []*nd.Array{y, idx}, nil
	}
	return []*nd.Array{y}, nil
}

func colMajorIndex(pos, sp []int) int {
	flat, mul := 0, 1
	for d := 0; d < len(sp); d++ {
		flat += pos[d] * mul
		mul *= sp[d]
	}
	return flat
}

func shapeOf(a *nd.Array) []int {
	if a == nil {
		return nil
	}
	return a.Shape
}

// GlobalPoolKernel averages or maxes each (sample, channel) plane to 1x...x1.
type GlobalPoolKernel struct {
	n   *Node
	Max bool
}

// Forward reduces every plane.
func (k *GlobalPoolKernel) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
	x := in[0]
	if x == nil || x.DType != nd.Float32 || x.Rank() < 2 {
		return nil, k.n.Errorf("X must be a float tensor of rank >= 2, got %s %v", dtypeOf(x), shapeOf(x))
	}
	shape := append([]int(nil), x.Shape...)
	for i := 2; i < len(shape); i++ {
		shape[i] = 1
	}
	planes, size := x.Shape[0]*x.Shape[1], prod(x.Shape[2:])
	y := nd.NewF(shape...)
	for pl := 0; pl < planes; pl++ {
		xp := x.F[pl*size : (pl+1)*size]
		if k.Max {
			m := float32(math.Inf(-1))
			for _, v := range xp {
				m = max(m, v)
			}
			y.F[pl] = m
			continue
		}
		var s float32
		for _, v := range xp {
			s += v
		}
		y.F[pl] = s / float32(size)
	}
	return []*nd.Array{y}, nil
}
