package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
)

func intsAttr(name string, v ...int) *onnxpb.AttributeProto {
	a := &onnxpb.AttributeProto{Name: &name, Type: onnxpb.AttributeProto_INTS.Enum()}
	for _, x := range v {
		a.Ints = append(a.Ints, int64(x))
	}
	return a
}

func intAttr(name string, v int) *onnxpb.AttributeProto {
	i := int64(v)
	return &onnxpb.AttributeProto{Name: &name, Type: onnxpb.AttributeProto_INT.Enum(), I: &i}
}

func randArray(r *rand.Rand, shape ...int) *nd.Array {
	a := nd.NewF(shape...)
	for i := range a.F {
		a.F[i] = r.Float32()*2 - 1
	}
	return a
}

// naiveConv2d is the direct float64 definition of a grouped 2-D
// convolution: y[n,o,i,j] = b[o] + sum_{c,a,b} x[n, g*cg+c, i*s-p+a*d, j*s-p+b*d] * w[o,c,a,b].
func naiveConv2d(x, w, b *nd.Array, stride, pad, dil, groups int) *nd.Array {
	n, ch, ih, iw := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	m, cg, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	oh := (ih+2*pad-(kh-1)*dil-1)/stride + 1
	ow := (iw+2*pad-(kw-1)*dil-1)/stride + 1
	y := nd.NewF(n, m, oh, ow)
	mg := m / groups
	for s := 0; s < n; s++ {
		for o := 0; o < m; o++ {
			g := o / mg
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					acc := float64(b.F[o])
					for c := 0; c < cg; c++ {
						for a := 0; a < kh; a++ {
							for bb := 0; bb < kw; bb++ {
								yy, xx := i*stride-pad+a*dil, j*stride-pad+bb*dil
								if yy < 0 || yy >= ih || xx < 0 || xx >= iw {
									continue
								}
								acc += float64(x.F[((s*ch+g*cg+c)*ih+yy)*iw+xx]) * float64(w.F[((o*cg+c)*kh+a)*kw+bb])
							}
						}
					}
					y.F[((s*m+o)*oh+i)*ow+j] = float32(acc)
				}
			}
		}
	}
	return y
}

// TestConvPathsMatchNaive checks both Conv paths (constant weights: fused
// im2col+packing; runtime weights: im2col then GEMM) against the direct
// definition, with several threads.
func TestConvPathsMatchNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ n, c, h, w, m, k, stride, pad, dil, groups int }{
		{1, 1, 8, 8, 8, 3, 1, 1, 1, 1},
		{5, 3, 9, 7, 6, 3, 2, 1, 1, 1},
		{3, 4, 10, 10, 8, 3, 1, 2, 2, 2},
		{2, 6, 5, 5, 6, 1, 1, 0, 1, 6},
		{17, 2, 6, 6, 20, 5, 3, 2, 1, 1},
		{2, 3, 20, 33, 4, 3, 1, 1, 1, 1}, // rows of 33: contiguous 16-column runs
		{1, 2, 4, 48, 3, 3, 1, 0, 1, 1},
		{9, 8, 8, 8, 8, 3, 1, 1, 1, 1},  // rows of 8: two runs per panel
		{7, 4, 3, 5, 5, 1, 1, 0, 1, 1},  // 1x1 kernel: runs end at rows
		{40, 1, 1, 5, 3, 1, 1, 0, 1, 1}, // one-row images: runs end at samples
		{6, 2, 7, 6, 3, 3, 1, 3, 2, 1},  // dilated, padded beyond the kernel
		{5, 4, 8, 8, 6, 3, 1, 1, 1, 2},  // grouped, rows of 8
		{3, 32, 4, 4, 4, 3, 1, 1, 1, 1}, // depth 288: two depth blocks
	} {
		name := fmt.Sprintf("%+v", tc)
		t.Run(name, func(t *testing.T) {
			x := randArray(r, tc.n, tc.c, tc.h, tc.w)
			w := randArray(r, tc.m, tc.c/tc.groups, tc.k, tc.k)
			b := randArray(r, tc.m)
			want := naiveConv2d(x, w, b, tc.stride, tc.pad, tc.dil, tc.groups)
			attrs := NewAttrs([]*onnxpb.AttributeProto{intsAttr("strides", tc.stride, tc.stride),
				intsAttr("pads", tc.pad, tc.pad, tc.pad, tc.pad), intsAttr("dilations", tc.dil, tc.dil), intAttr("group", tc.groups)})
			for _, constW := range []bool{true, false} {
				node := &Node{Op: "Conv", Name: "c", Opset: 13, Attrs: attrs, Inputs: []string{"x", "w", "b"}, NumOutputs: 1,
					Const: []*nd.Array{nil, nil, nil}}
				if constW {
					node.Const[1] = w
				}
				k, err := buildConv(node)
				if err != nil {
					t.Fatal(err)
				}
				for _, threads := range []int{1, 3} {
					got, err := k.Forward(&Ctx{Threads: threads, Arena: nd.NewArena()}, []*nd.Array{x, w, b})
					if err != nil {
						t.Fatal(err)
					}
					if !nd.EqualShape(got[0].Shape, want.Shape) {
						t.Fatalf("shape %v, want %v", got[0].Shape, want.Shape)
					}
					for i := range want.F {
						if d := math.Abs(float64(got[0].F[i] - want.F[i])); d > 1e-4 {
							t.Fatalf("const=%v threads=%d element %d: %g, want %g", constW, threads, i, got[0].F[i], want.F[i])
						}
					}
				}
			}
		})
	}
}
