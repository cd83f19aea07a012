package pipeline

import (
	"context"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/internal/hosttest"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/shared/tensor"
)

var pluginDir string

func TestMain(m *testing.M) { hosttest.Main(m, &pluginDir) }

func input() tensor.Tensor {
	x := tensor.New(tensor.Float64, 3, 4)
	for i := range x.F64 {
		x.F64[i] = 0.1 + 0.8*float64((i*5)%11)/11
	}
	return x
}

// TestGradientsMatchFiniteDifferences differentiates the composed forward
// function (standardise, then the real plugin) numerically and compares it
// with the pipeline's gradients, for scalar and per-feature parameters.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	inner := hosttest.StartLinear(t, pluginDir, remote.Config{})
	ctx := context.Background()
	for name, cfg := range map[string]Config{
		"scalar":      {Subtrahend: []float64{0.5}, Divisor: []float64{0.25}},
		"per feature": {Subtrahend: []float64{0.1, 0.2, 0.3, 0.4}, Divisor: []float64{0.5, 2, -1, 4}},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := New(inner, cfg)
			if err != nil {
				t.Fatal(err)
			}
			x := input()
			y := tensor.FromInt64([]int64{2, 0, 1}, 3)
			lg, err := p.LossGradient(ctx, x, y)
			if err != nil {
				t.Fatal(err)
			}
			cg, err := p.ClassGradient(ctx, x, nil)
			if err != nil {
				t.Fatal(err)
			}
			const h = 1e-6
			for i := range x.F64 {
				xp, xm := x.Clone(), x.Clone()
				xp.F64[i] += h
				xm.F64[i] -= h
				lp, _ := p.Loss(ctx, xp, y, host.ReduceNone)
				lm, _ := p.Loss(ctx, xm, y, host.ReduceNone)
				row, col := i/4, i%4
				if fd := (lp.F64[row] - lm.F64[row]) / (2 * h); math.Abs(fd-lg.F64[i]) > 1e-6*(1+math.Abs(fd)) {
					t.Errorf("loss gradient %d: %v, finite difference %v", i, lg.F64[i], fd)
				}
				pp, _ := p.Predict(ctx, xp, false)
				pm, _ := p.Predict(ctx, xm, false)
				for c := 0; c < 3; c++ {
					fd := (pp.F64[row*3+c] - pm.F64[row*3+c]) / (2 * h)
					if got := cg.F64[(row*3+c)*4+col]; math.Abs(fd-got) > 1e-6*(1+math.Abs(fd)) {
						t.Errorf("class %d gradient %d: %v, finite difference %v", c, i, got, fd)
					}
				}
			}
		})
	}
}

func TestStandardisationIsApplied(t *testing.T) {
	inner := hosttest.StartLinear(t, pluginDir, remote.Config{})
	ctx := context.Background()
	sub, div := []float64{0.1, 0.2, 0.3, 0.4}, []float64{0.5, 2, -1, 4}
	p, err := New(inner, Config{Subtrahend: sub, Divisor: div})
	if err != nil {
		t.Fatal(err)
	}
	x := input()
	manual := x.Clone()
	for i := range manual.F64 {
		manual.F64[i] = (x.F64[i] - sub[i%4]) / div[i%4]
	}
	a, err := p.Predict(ctx, x, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := inner.Predict(ctx, manual, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b.F64, a.F64); diff != "" {
		t.Fatalf("pipeline predict differs from standardising by hand:\n%s", diff)
	}
}

func TestExpandPerChannel(t *testing.T) {
	for name, c := range map[string]struct {
		channelsFirst bool
		sample        []int
		values        []float64
		want          []float64
	}{
		"channels first": {true, []int{2, 1, 3}, []float64{10, 20}, []float64{10, 10, 10, 20, 20, 20}},
		"channels last":  {false, []int{3, 2}, []float64{10, 20}, []float64{10, 20, 10, 20, 10, 20}},
		"scalar":         {false, []int{3}, []float64{7}, []float64{7, 7, 7}},
		"per feature":    {true, []int{3}, []float64{1, 2, 3}, []float64{1, 2, 3}},
		"default":        {true, []int{2}, nil, []float64{1, 1}},
	} {
		t.Run(name, func(t *testing.T) {
			p := &Pipeline{desc: host.Description{ChannelsFirst: c.channelsFirst}}
			got, err := p.expand(c.values, 1, c.sample)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Fatal(diff)
			}
		})
	}
	p := &Pipeline{}
	if _, err := p.expand([]float64{1, 2}, 0, []int{3, 3}); err == nil {
		t.Fatal("2 values for 3 channels accepted")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	inner := hosttest.StartLinear(t, pluginDir, remote.Config{})
	for name, cfg := range map[string]Config{
		"zero divisor":        {Divisor: []float64{0}},
		"clip min above max":  {ClipMin: []float64{1}, ClipMax: []float64{0}},
		"clip lengths differ": {ClipMin: []float64{0, 0}, ClipMax: []float64{1}},
		"subtrahend length":   {Subtrahend: []float64{1, 2, 3}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(inner, cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestClipValuesOverrideModel(t *testing.T) {
	inner := hosttest.StartLinear(t, pluginDir, remote.Config{})
	p, err := New(inner, Config{Name: "wrapped", ClipMin: []float64{-1}, ClipMax: []float64{2}})
	if err != nil {
		t.Fatal(err)
	}
	d := p.Describe()
	if d.Name != "wrapped" || d.ClipMin[0] != -1 || d.ClipMax[0] != 2 {
		t.Fatalf("describe %+v", d)
	}
	_, err = p.Predict(context.Background(), tensor.New(tensor.Float64, 1, 9), false)
	if err == nil || err.(*host.Error).Estimator != "wrapped" {
		t.Fatalf("error %v does not name the pipeline", err)
	}
}

// TestInputShapeReshapes serves a 4-feature model to callers that send
// 2x2 samples: predictions are the model's, gradients come back 2x2.
func TestInputShapeReshapes(t *testing.T) {
	inner := hosttest.StartLinear(t, pluginDir, remote.Config{})
	p, err := New(inner, Config{InputShape: []int{2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{2, 2}, p.Describe().InputShape); diff != "" {
		t.Fatal(diff)
	}
	ctx := context.Background()
	flat := input()
	square := flat.Clone()
	square.Shape = []int{3, 2, 2}
	a, err := p.Predict(ctx, square, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := inner.Predict(ctx, flat, false)
	if diff := cmp.Diff(b.F64, a.F64); diff != "" {
		t.Fatal(diff)
	}
	g, err := p.ClassGradient(ctx, square, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{3, 3, 2, 2}, g.Shape); diff != "" {
		t.Fatal(diff)
	}
	lg, err := p.LossGradient(ctx, square, tensor.FromInt64([]int64{0, 1, 2}, 3))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{3, 2, 2}, lg.Shape); diff != "" {
		t.Fatal(diff)
	}
	if _, err := New(inner, Config{InputShape: []int{3, 2}}); err == nil {
		t.Fatal("input_shape with 6 features accepted for a 4-feature model")
	}
}
