package defences

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

type tvCase struct {
	Norm    int     `json:"norm"`
	Lamb    float64 `json:"lamb"`
	X, Mask array
	Z       array
	LossAtZ float64 `json:"loss_at_z"`
	Min     float64 `json:"min"`
}

func TestTVObjectiveART(t *testing.T) {
	// The objective equals ART's _loss_func (numpy) at a random point.
	var cases []tvCase
	fixture(t, "total_var_min", &cases)
	for _, c := range cases {
		h, w := c.X.Shape[0], c.X.Shape[1]
		o := newTVObjective(c.X.Values, c.Mask.Values, h, w, c.Norm, c.Lamb)
		if got := o.Func(c.Z.Values); math.Abs(got-c.LossAtZ) > 1e-12*c.LossAtZ {
			t.Errorf("norm %d: f(z) = %v, ART's loss %v", c.Norm, got, c.LossAtZ)
		}
	}
}

func TestTVObjectiveGradient(t *testing.T) {
	// Against central differences at random points (where the objective
	// is differentiable almost surely).
	rng := rand.New(rand.NewPCG(5, 6))
	for _, norm := range []int{1, 2, 3, 4} {
		h, w := 4, 5
		x, m, z := make([]float64, h*w), make([]float64, h*w), make([]float64, h*w)
		for i := range x {
			x[i], z[i] = rng.Float64(), rng.Float64()
			if rng.Float64() < 0.5 {
				m[i] = 1
			}
		}
		o := newTVObjective(x, m, h, w, norm, 0.7)
		g := make([]float64, len(z))
		o.Grad(g, z)
		const step = 1e-6
		for i := range z {
			zp, zm := slices.Clone(z), slices.Clone(z)
			zp[i] += step
			zm[i] -= step
			want := (o.Func(zp) - o.Func(zm)) / (2 * step)
			if math.Abs(g[i]-want) > 1e-6 {
				t.Fatalf("norm %d: gradient[%d] = %v, finite differences %v", norm, i, g[i], want)
			}
		}
	}
}

func TestTotalVarMinReachesScipyMinimum(t *testing.T) {
	// The objective is convex; its minimum comes from scipy on smoothed
	// versions of it. Gonum's line searches stall at the kinks of the
	// non-smooth objective, so the solvers get within 2% (L-BFGS-B) and 5%
	// (CG) of it, from a start several times higher.
	var cases []tvCase
	fixture(t, "total_var_min", &cases)
	for _, c := range cases {
		for _, solver := range []string{"L-BFGS-B", "CG"} {
			h, w := c.X.Shape[0], c.X.Shape[1]
			tv := mustPre(t, "total_var_min", map[string]any{"norm": c.Norm, "lamb": c.Lamb, "max_iter": 5000, "solver": solver}).(*TotalVarMin)
			z, err := tv.minimise(c.X.Values, c.Mask.Values, h, w)
			if err != nil {
				t.Fatal(err)
			}
			got := newTVObjective(c.X.Values, c.Mask.Values, h, w, c.Norm, c.Lamb).Func(z)
			t.Logf("norm %d %s: f = %v, scipy %v", c.Norm, solver, got, c.Min)
			tol := map[string]float64{"L-BFGS-B": 0.02, "CG": 0.05}[solver]
			if start := newTVObjective(c.X.Values, c.Mask.Values, h, w, c.Norm, c.Lamb).Func(c.X.Values); start < 1.5*c.Min {
				t.Fatalf("norm %d: start %v too close to the minimum %v for a test", c.Norm, start, c.Min)
			}
			if got < c.Min*(1-1e-6) || got > c.Min*(1+tol) {
				t.Errorf("norm %d %s: minimum %v, scipy's %v", c.Norm, solver, got, c.Min)
			}
		}
	}
}

func TestTotalVarMinForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := tensor.New(tensor.Float32, 2, 6, 5, 3)
	for i := range x.F32 {
		x.F32[i] = rng.Float32()
	}
	// Every value kept and no smoothing: the minimiser is x itself.
	id := forward(t, mustPre(t, "total_var_min", map[string]any{"prob": 1, "lamb": 0}), x)
	near(t, "prob 1, lamb 0", id, x.Shape, x.Float64s(), 1e-6)

	// Default parameters lower every plane's objective, keep the dtype,
	// repeat with the seed and differ with another.
	p := mustPre(t, "total_var_min", nil)
	got := forward(t, p, x)
	if got.DType != tensor.Float32 || !slices.Equal(got.Shape, x.Shape) {
		t.Fatalf("%v %v", got.DType, got.Shape)
	}
	same := forward(t, mustPre(t, "total_var_min", nil), x)
	other := forward(t, mustPre(t, "total_var_min", map[string]any{"seed": 99}), x)
	if !slices.Equal(same.F32, got.F32) || slices.Equal(other.F32, got.F32) {
		t.Fatal("not seeded")
	}
	if slices.Equal(got.F32, x.F32) {
		t.Fatal("nothing changed")
	}

	// Channels first gives the transposed result for the same masks.
	pf := mustPre(t, "total_var_min", map[string]any{"channels_first": true, "prob": 1, "lamb": 0.3})
	pl := mustPre(t, "total_var_min", map[string]any{"prob": 1, "lamb": 0.3})
	want := toChannelsFirst(forward(t, pl, x))
	near(t, "channels first", forward(t, pf, toChannelsFirst(x)), want.Shape, want.Float64s(), 1e-6)

	// clip_values bound the result.
	pc := mustPre(t, "total_var_min", map[string]any{"clip_values": list(0.2, 0.8)})
	for _, v := range forward(t, pc, x).F32 {
		if v < 0.2 || v > 0.8 {
			t.Fatalf("value %v outside clip_values", v)
		}
	}
	for _, shape := range [][]int{{2, 3}, {2, 3, 3}, {1, 2, 2, 2, 2}} {
		if _, _, err := p.Forward(tensor.New(tensor.Float64, shape...), tensor.Tensor{}); err == nil {
			t.Errorf("shape %v accepted", shape)
		}
	}
}
