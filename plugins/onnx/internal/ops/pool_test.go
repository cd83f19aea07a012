package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
)

// naivePool2d is the direct definition of 2-D max/average pooling with
// symmetric padding (count_include_pad=0).
func naivePool2d(x *nd.Array, k, s, p int, isMax bool) *nd.Array {
	n, c, ih, iw := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oh, ow := (ih+2*p-k)/s+1, (iw+2*p-k)/s+1
	y := nd.NewF(n, c, oh, ow)
	for pl := 0; pl < n*c; pl++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				best, sum, cnt := math.Inf(-1), 0.0, 0
				for a := 0; a < k; a++ {
					for b := 0; b < k; b++ {
						yy, xx := i*s-p+a, j*s-p+b
						if yy < 0 || yy >= ih || xx < 0 || xx >= iw {
							continue
						}
						v := float64(x.F[(pl*ih+yy)*iw+xx])
						best, sum, cnt = math.Max(best, v), sum+v, cnt+1
					}
				}
				if isMax {
					y.F[(pl*oh+i)*ow+j] = float32(best)
				} else {
					y.F[(pl*oh+i)*ow+j] = float32(sum / float64(cnt))
				}
			}
		}
	}
	return y
}

// TestPool2dMatchesNaive covers the 2x2 fast path, the clipped-window path
// and the generic N-d path (via the Indices output, which forces it).
func TestPool2dMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []struct{ k, s, p int }{{2, 2, 0}, {3, 2, 1}, {3, 1, 1}, {2, 1, 0}, {3, 3, 0}} {
		for _, isMax := range []bool{true, false} {
			for _, outputs := range []int{1, 2} {
				if outputs == 2 && !isMax {
					continue
				}
				t.Run(fmt.Sprintf("k=%d/s=%d/p=%d/max=%v/outputs=%d", tc.k, tc.s, tc.p, isMax, outputs), func(t *testing.T) {
					x := randArray(r, 2, 3, 9, 8)
					attrs := NewAttrs([]*onnxpb.AttributeProto{intsAttr("kernel_shape", tc.k, tc.k),
						intsAttr("strides", tc.s, tc.s), intsAttr("pads", tc.p, tc.p, tc.p, tc.p)})
					k := &PoolKernel{n: &Node{Op: "MaxPool", Name: "p", Opset: 13, Attrs: attrs, NumOutputs: outputs}, Max: isMax}
					got, err := k.Forward(&Ctx{Threads: 2}, []*nd.Array{x})
					if err != nil {
						t.Fatal(err)
					}
					want := naivePool2d(x, tc.k, tc.s, tc.p, isMax)
					if !nd.EqualShape(got[0].Shape, want.Shape) {
						t.Fatalf("shape %v, want %v", got[0].Shape, want.Shape)
					}
					for i := range want.F {
						if d := math.Abs(float64(got[0].F[i] - want.F[i])); d > 1e-6 {
							t.Fatalf("element %d: %g, want %g", i, got[0].F[i], want.F[i])
						}
					}
				})
			}
		}
	}
}

// TestMaxPool2x2BackTies checks the 2x2 max pool backward fast path
// against the first-maximum rule on values full of ties, signed zeros,
// infinities and NaNs, on odd sizes whose last row and column no window
// covers.
func TestMaxPool2x2BackTies(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pick := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-45, -1e-45}
	for _, sz := range [][2]int{{8, 8}, {5, 7}, {2, 2}, {4, 16}, {6, 19}, {2, 10}} {
		ih, iw := sz[0], sz[1]
		oh, ow := ih/2, iw/2
		for trial := 0; trial < 200; trial++ {
			x := make([]float32, ih*iw)
			for i := range x {
				x[i] = pick[r.IntN(len(pick))]
				if trial%2 == 0 && x[i] != x[i] {
					x[i] = 3 // half the trials without NaNs
				}
			}
			g := make([]float32, oh*ow)
			for i := range g {
				g[i] = float32(i + 1)
			}
			want := make([]float32, ih*iw)
			first := make([]float32, oh*ow) // the generic forward's maxima
			for y := 0; y < oh; y++ {
				for xo := 0; xo < ow; xo++ {
					best, at := float32(0), -1
					for a := 0; a < 2; a++ {
						for b := 0; b < 2; b++ {
							i := (2*y+a)*iw + 2*xo + b
							if v := x[i]; at < 0 || v > best {
								best, at = v, i
							}
						}
					}
					want[at] += g[y*ow+xo]
					first[y*ow+xo] = x[at]
				}
			}
			got := make([]float32, ih*iw)
			maxPool2x2Back(got, x, g, iw, oh, ow)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%dx%d x=%v: dx[%d] = %g, want %g", ih, iw, x, i, got[i], want[i])
				}
			}
			// The writing variant, given the forward output, on the rows
			// the windows cover, over a dirty buffer.
			y := make([]float32, oh*ow)
			maxPool2x2(y, x, iw, oh, ow)
			set := make([]float32, 2*oh*iw)
			for _, y := range [][]float32{y, first} {
				for i := range set {
					set[i] = float32(math.NaN())
				}
				maxPool2x2BackSet(set, x, y, g, iw, oh, ow)
				for i := range set {
					if set[i] != want[i] {
						t.Fatalf("set %dx%d x=%v: dx[%d] = %g, want %g", ih, iw, x, i, set[i], want[i])
					}
				}
			}
		}
	}
}

// TestMaxPool2x2Forward checks the 2x2 max pool fast path against Go's
// max on values full of ties, signed zeros, infinities and NaNs: the same
// bits, or NaN where Go gives NaN.
func TestMaxPool2x2Forward(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pick := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-45, -1e-45}
	for _, sz := range [][2]int{{8, 8}, {5, 7}, {2, 2}, {4, 16}, {7, 19}, {2, 10}} {
		ih, iw := sz[0], sz[1]
		oh, ow := ih/2, iw/2
		for trial := 0; trial < 200; trial++ {
			x := make([]float32, ih*iw)
			for i := range x {
				x[i] = pick[r.IntN(len(pick))]
				if trial%2 == 0 && x[i] != x[i] {
					x[i] = 3
				}
			}
			got := make([]float32, oh*ow)
			maxPool2x2(got, x, iw, oh, ow)
			for y := 0; y < oh; y++ {
				for xo := 0; xo < ow; xo++ {
					i := 2*y*iw + 2*xo
					want := max(max(x[i], x[i+1]), max(x[i+iw], x[i+iw+1]))
					g := got[y*ow+xo]
					if math.Float32bits(g) != math.Float32bits(want) && !(g != g && want != want) {
						t.Fatalf("%dx%d window (%d,%d) of %v: %g, want %g", ih, iw, y, xo, x, g, want)
					}
				}
			}
		}
	}
}
