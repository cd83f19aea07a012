package ops

import (
	"github.com/arthost/arthost/plugins/onnx/internal/linalg"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

func convDefs() []*Def {
	return []*Def{
		{Op: "Conv", Build: buildConv},
		{Op: "ConvTranspose", Build: buildConvTranspose},
	}
}

// ConvKernel is an N-d grouped, strided, dilated, padded convolution
// computed as im2col + GEMM over chunks of the batch.
type ConvKernel struct {
	n      *Node
	Groups int
	Geom   *geom
	// wConst is the weight when it is a constant, and packed its per-group
	// GEMM panels, prepared once at load.
	wConst *nd.Array
	packed []*linalg.PackedA
	// packedT are the per-group transposed weights, for the backward
	// pass to the input.
	packedT []*linalg.PackedA
}

func buildConv(n *Node) (Kernel, error) {
	k := &ConvKernel{n: n, Groups: n.Attrs.Int("group", 1)}
	if k.Groups < 1 {
		return nil, n.Errorf("group must be >= 1, got %d", k.Groups)
	}
	if w := n.ConstInput(1); w != nil {
		if w.Rank() < 3 {
			return nil, n.Errorf("weight must have rank >= 3, got shape %v", w.Shape)
		}
		g, err := readGeom(n, w.Rank()-2, w.Shape[2:])
		if err != nil {
			return nil, n.Errorf("%v", err)
		}
		k.Geom = g
		if w.DType == nd.Float32 && w.Shape[0]%k.Groups == 0 {
			mg, rowsK := w.Shape[0]/k.Groups, nd.Size(w.Shape[1:])
			k.wConst = w
			for grp := 0; grp < k.Groups; grp++ {
				k.packed = append(k.packed, linalg.PackA(false, mg, rowsK, w.F[grp*mg*rowsK:], rowsK))
				k.packedT = append(k.packedT, linalg.PackA(true, rowsK, mg, w.F[grp*mg*rowsK:], rowsK))
			}
		}
	}
	return k, nil
}

// ConvShapes checks x and w and returns the output spatial size and pads.
func (c *ConvKernel) shapes(x, w *nd.Array) (g *geom, out, pb []int, err error) {
	if x == nil || w == nil || x.DType != nd.Float32 || w.DType != nd.Float32 {
		return nil, nil, nil, c.n.Errorf("X and W must be float tensors")
	}
	if x.Rank() < 3 || w.Rank() != x.Rank() {
		return nil, nil, nil, c.n.Errorf("X must have rank >= 3 and W the same rank, got shapes %v and %v", x.Shape, w.Shape)
	}
	g = c.Geom
	if g == nil {
		if g, err = readGeom(c.n, w.Rank()-2, w.Shape[2:]); err != nil {
			return nil, nil, nil, c.n.Errorf("%v", err)
		}
	}
	if !nd.EqualShape(g.kernel, w.Shape[2:]) {
		return nil, nil, nil, c.n.Errorf("kernel_shape %v differs from weight shape %v", g.kernel, w.Shape)
	}
	if x.Shape[1] != w.Shape[1]*c.Groups || w.Shape[0]%c.Groups != 0 {
		return nil, nil, nil, c.n.Errorf("X has %d channels, W shape %v with group %d", x.Shape[1], w.Shape, c.Groups)
	}
	out, pb, _, err = g.outShape(x.Shape[2:])
	if err != nil {
		return nil, nil, nil, c.n.Errorf("%v", err)
	}
	return g, out, pb, nil
}

// Forward computes Y = conv(X, W) + B.
func (c *ConvKernel) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
	x, w := in[0], in[1]
	g, out, pb, err := c.shapes(x, w)
	if err != nil {
		return nil, err
	}
	var bias []float32
	if len(in) > 2 && in[2] != nil {
		if in[2].Len() != w.Shape[0] {
			return nil, c.n.Errorf("bias has %d values, want %d", in[2].Len(), w.Shape[0])
		}
		bias = in[2].F
	}
	nb, ch, m := x.Shape[0], x.Shape[1], w.Shape[0]
	cg, mg := ch/c.Groups, m/c.Groups
	kk, p, inSize := prod(g.kernel), prod(out), prod(x.Shape[2:])
	y := ctx.newOut(append([]int{nb, m}, out...)...)
	rowsK := cg * kk
	fused := len(out) == 2 && w == c.wConst
	ctx.Parallel(nb, func(lo, hi int) {
		// Samples per GEMM: enough columns to amortise the call, bounded
		// memory for the patch matrix.
		step := max(1, min(hi-lo, (1<<18)/max(1, rowsK*p)))
		var col []float32
		if !fused {
			col = make([]float32, rowsK*p*step)
		}
		tmpA := ctx.newOut(mg * p * step)
		tmp := tmpA.F
		defer releaseTo(ctx, tmpA)
		var padded *[]float32 // the chunk's zero-padded input, when used
		defer func() {
			if padded != nil {
				putScratch(padded)
			}
		}()
		for s0 := lo; s0 < hi; s0 += step {
			s1 := min(s0+step, hi)
			cols := (s1 - s0) * p
			for grp := 0; grp < c.Groups; grp++ {
				switch {
				case fused:
					src := &patchSource{x: x.F[(s0*ch+grp*cg)*inSize:], sampleStride: ch * inSize,
						ih: x.Shape[2], iw: x.Shape[3], oh: out[0], ow: out[1], kh: g.kernel[0], kw: g.kernel[1],
						sh: g.strides[0], sw: g.strides[1], dh: g.dil[0], dw: g.dil[1], ph: pb[0], pw: pb[1]}
					if src.sw == 1 && (src.ph > 0 || src.pw > 0) {
						padded = src.pad(padded, s1-s0, cg)
					}
					linalg.SgemmSource(c.packed[grp], src, cols, 1, 0, tmp, cols)
				default:
					for s := s0; s < s1; s++ {
						xs := x.F[(s*ch+grp*cg)*inSize:]
						im2col(col, cols, (s-s0)*p, xs, cg, x.Shape[2:], out, pb, g)
					}
					if w == c.wConst {
						linalg.SgemmPackedA(c.packed[grp], false, cols, 1, col, cols, 0, tmp, cols)
					} else {
						linalg.Sgemm(false, false, mg, cols, rowsK, 1, w.F[grp*mg*rowsK:], rowsK, col, cols, 0, tmp, cols)
					}
				}
				for s := s0; s < s1; s++ {
					for oc := 0; oc < mg; oc++ {
						dst := y.F[(s*m+grp*mg+oc)*p : (s*m+grp*mg+oc+1)*p]
						src := tmp[oc*cols+(s-s0)*p:]
						src = src[:len(dst)]
						var b float32
						if bias != nil {
							b = bias[grp*mg+oc]
						}
						for i := addScalarFast(dst, src, b); i < len(dst); i++ {
							dst[i] = src[i] + b
						}
					}
				}
			}
		}
	})
	return []*nd.Array{y}, nil
}

// ConvTransposeKernel is the transpose (gradient) of Conv: GEMM then col2im.
type ConvTransposeKernel struct {
	n                        *Node
	Groups                   int
	outputPadding, outputShp []int
}

func buildConvTranspose(n *Node) (Kernel, error) {
	k := &ConvTransposeKernel{n: n, Groups: n.Attrs.Int("group", 1),
		outputPadding: n.Attrs.Ints("output_padding"), outputShp: n.Attrs.Ints("output_shape")}
	if k.Groups < 1 {
		return nil, n.Errorf("group must be >= 1, got %d", k.Groups)
	}
	return k, n.Attrs.Err()
}

// geometry resolves the output size and pads of a transposed convolution.
func (c *ConvTransposeKernel) geometry(x, w *nd.Array) (*geom, []int, []int, error) {
	nsp := x.Rank() - 2
	g, err := readGeom(c.n, nsp, w.Shape[2:])
	if err != nil {
		return nil, nil, nil, err
	}
	op := defaultInts(c.outputPadding, nsp, 0)
	if len(op) != nsp {
		return nil, nil, nil, errorf("output_padding %v does not match %d spatial dims", op, nsp)
	}
	out, pb := make([]int, nsp), make([]int, nsp)
	want := c.outputShp
	if len(want) == nsp+2 {
		want = want[2:]
	}
	if want == nil && (g.autoPad == "SAME_UPPER" || g.autoPad == "SAME_LOWER") {
		want = make([]int, nsp)
		for i := range want {
			want[i] = x.Shape[2+i] * g.strides[i]
		}
	}
	for i := 0; i < nsp; i++ {
		full := g.strides[i]*(x.Shape[2+i]-1) + op[i] + (g.kernel[i]-1)*g.dil[i] + 1
		if want != nil {
			if len(want) != nsp {
				return nil, nil, nil, errorf("output_shape %v does not match %d spatial dims", c.outputShp, nsp)
			}
			total := full - want[i]
			if g.autoPad == "SAME_UPPER" {
				pb[i] = floorDiv(total, 2)
			} else {
				pb[i] = total - floorDiv(total, 2)
			}
			out[i] = want[i]
		} else {
			pb[i] = g.padBegin[i]
			if g.autoPad == "VALID" {
				pb[i] = 0
				out[i] = full
			} else {
				out[i] = full - g.padBegin[i] - g.padEnd[i]
			}
		}
		if out[i] <= 0 {
			return nil, nil, nil, errorf("output size %v is not positive", out)
		}
	}
	return g, out, pb, nil
}

// Forward computes Y = conv_transpose(X, W) + B.
func (c *ConvTransposeKernel) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
	x, w := in[0], in[1]
	if x == nil || w == nil || x.DType != nd.Float32 || w.DType != nd.Float32 || x.Rank() < 3 || w.Rank() != x.Rank() {
		return nil, c.n.Errorf("X and W must be float tensors of equal rank >= 3")
	}
	if x.Shape[1] != w.Shape[0] || x.Shape[1]%c.Groups != 0 {
		return nil, c.n.Errorf("X shape %v and W shape %v do not match with group %d", x.Shape, w.Shape, c.Groups)
	}
	g, out, pb, err := c.geometry(x, w)
	if err != nil {
		return nil, c.n.Errorf("%v", err)
	}
	nb, ch, mg := x.Shape[0], x.Shape[1], w.Shape[1]
	cg, m := ch/c.Groups, w.Shape[1]*c.Groups
	kk, inSize, p := prod(g.kernel), prod(x.Shape[2:]), prod(out)
	if len(in) > 2 && in[2] != nil && in[2].Len() != m {
		return nil, c.n.Errorf("bias has %d values, want %d", in[2].Len(), m)
	}
	y := nd.NewF(append([]int{nb, m}, out...)...)
	ctx.Parallel(nb, func(lo, hi int) {
		col := make([]float32, mg*kk*inSize)
		for s := lo; s < hi; s++ {
			for grp := 0; grp < c.Groups; grp++ {
				xs := x.F[(s*ch+grp*cg)*inSize:]
				linalg.Sgemm(true, false, mg*kk, inSize, cg, 1, w.F[grp*cg*mg*kk:], mg*kk, xs, inSize, 0, col, inSize)
				col2im(y.F[(s*m+grp*mg)*p:], mg, out, col, x.Shape[2:], pb, g)
			}
			if len(in) > 2 && in[2] != nil {
				for oc := 0; oc < m; oc++ {
					b := in[2].F[oc]
					dst := y.F[(s*m+oc)*p : (s*m+oc+1)*p]
					for i := range dst {
						dst[i] += b
					}
				}
			}
		}
	})
	return []*nd.Array{y}, nil
}

// floorDiv is a/b rounded toward negative infinity (Python's //).
func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
