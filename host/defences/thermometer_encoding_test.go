package defences

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

func TestThermometerEncodingART(t *testing.T) {
	var cases []struct {
		NumSpace      int   `json:"num_space"`
		ClipValues    []any `json:"clip_values"`
		ChannelsFirst bool  `json:"channels_first"`
		X, Want       array
	}
	fixture(t, "thermometer_encoding", &cases)
	for _, c := range cases {
		p := mustPre(t, "thermometer_encoding", map[string]any{"num_space": c.NumSpace, "clip_values": c.ClipValues, "channels_first": c.ChannelsFirst})
		x := c.X.tensor()
		near(t, "numpy reference", forward(t, p, x), c.Want.Shape, c.Want.Values, 0)
		if x.F64[0] != c.X.Values[0] {
			t.Fatal("forward changed its input")
		}
	}
}

// surrogate is the differentiable stand-in of the encoding (s_k of the
// doc comment), written independently for finite differences.
func surrogate(x []float64, shape []int, lo, hi float64, ns int, channelsFirst bool) []float64 {
	axis := len(shape) - 1
	if channelsFirst {
		axis = 1
	}
	outer, c, inner := tensor.NumElements(shape[:axis]), shape[axis], tensor.NumElements(shape[axis+1:])
	out := make([]float64, len(x)*ns)
	for o := 0; o < outer; o++ {
		for ch := 0; ch < c; ch++ {
			for i := 0; i < inner; i++ {
				u := (x[(o*c+ch)*inner+i] - lo) / (hi - lo)
				for k := 0; k < ns; k++ {
					out[((o*c+ch)*ns+k)*inner+i] = math.Min(math.Max(u-float64(k)/float64(ns), 0), 1)
				}
			}
		}
	}
	return out
}

func TestThermometerEncodingGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		shape  []int
		lo, hi float64
		ns     int
		first  bool
	}{
		{[]int{2, 3, 4}, 0, 1, 5, false},
		{[]int{2, 3, 2, 2}, -1, 3, 4, true},
		{[]int{3, 2}, 0, 255, 10, false},
	} {
		p := mustPre(t, "thermometer_encoding", map[string]any{"num_space": c.ns, "clip_values": list(c.lo, c.hi), "channels_first": c.first})
		n := tensor.NumElements(c.shape)
		x := make([]float64, n)
		const h = 1e-6
		for i := range x {
			// Stay away from the surrogate's kinks at the thresholds.
			for {
				x[i] = c.lo + (c.hi-c.lo)*rng.Float64()
				u := (x[i] - c.lo) / (c.hi - c.lo) * float64(c.ns)
				if math.Abs(u-math.Round(u)) > 1e-3 {
					break
				}
			}
		}
		g := make([]float64, n*c.ns)
		for i := range g {
			g[i] = rng.NormFloat64()
		}
		gradOut := tensor.FromFloat64(g, forward(t, p, tensor.FromFloat64(x, c.shape...)).Shape...)
		got, err := p.Backward(tensor.FromFloat64(x, c.shape...), gradOut)
		if err != nil {
			t.Fatal(err)
		}
		// Central differences of <g, s(x)>.
		want := make([]float64, n)
		for i := range x {
			xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
			step := h * (c.hi - c.lo)
			xp[i] += step
			xm[i] -= step
			sp, sm := surrogate(xp, c.shape, c.lo, c.hi, c.ns, c.first), surrogate(xm, c.shape, c.lo, c.hi, c.ns, c.first)
			for k := range g {
				want[i] += g[k] * (sp[k] - sm[k]) / (2 * step)
			}
		}
		near(t, "finite differences", got, c.shape, want, 1e-6)
	}
}

func TestThermometerEncodingGradientART(t *testing.T) {
	// ART's estimate_gradient, which is right for clip_values (0, 1).
	var c struct {
		NumSpace      int `json:"num_space"`
		X, Grad, Want array
	}
	fixture(t, "thermometer_gradient_art", &c)
	p := mustPre(t, "thermometer_encoding", map[string]any{"num_space": c.NumSpace, "clip_values": list(0, 1)})
	got, err := p.Backward(c.X.tensor(), c.Grad.tensor())
	if err != nil {
		t.Fatal(err)
	}
	near(t, "ART estimate_gradient", got, c.Want.Shape, c.Want.Values, 1e-12)

	// Class gradients (n, m, out...) give (n, m, in...), block by block.
	n, m := c.X.Shape[0], 2
	outLen, inLen := len(c.Grad.Values)/n, len(c.X.Values)/n
	stacked := make([]float64, n*m*outLen)
	for r := 0; r < n; r++ {
		for j := 0; j < m; j++ {
			for e := 0; e < outLen; e++ {
				stacked[(r*m+j)*outLen+e] = c.Grad.Values[r*outLen+e] * float64(j+1)
			}
		}
	}
	gs := tensor.FromFloat64(stacked, append([]int{n, m}, c.Grad.Shape[1:]...)...)
	got, err = p.Backward(c.X.tensor(), gs)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, n*m*inLen)
	for r := 0; r < n; r++ {
		for j := 0; j < m; j++ {
			for e := 0; e < inLen; e++ {
				want[(r*m+j)*inLen+e] = c.Want.Values[r*inLen+e] * float64(j+1)
			}
		}
	}
	near(t, "class-gradient blocks", got, append([]int{n, m}, c.X.Shape[1:]...), want, 1e-12)

	// At the top of the range every level counts, as in ART; above it
	// (outside clip_values) the surrogate is flat in level 0.
	edge := tensor.FromFloat64([]float64{1, 1.05}, 1, 2)
	ones := tensor.FromFloat64([]float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}, 1, 10)
	got, err = p.Backward(edge, ones)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "top of the range", got, []int{1, 2}, []float64{31, 512 + 256 + 128 + 64}, 0)

	if _, err := p.Backward(c.X.tensor(), c.X.tensor()); err == nil {
		t.Fatal("gradient of the input's shape accepted")
	}
}

func TestThermometerEncodingFloat32Thresholds(t *testing.T) {
	// float32(0.3) = 0.30000001192... is above 3/10 in float64 but equal
	// to it in float32, where numpy compares; so level 3 stays dark.
	p := mustPre(t, "thermometer_encoding", map[string]any{"num_space": 10, "clip_values": list(0, 1)})
	got := forward(t, p, tensor.FromFloat32([]float32{0.3, 0.05}, 1, 2))
	want := []float64{1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	near(t, "float32", got, []int{1, 20}, want, 0)
	if got.DType != tensor.Float32 {
		t.Fatalf("dtype %v", got.DType)
	}
}
