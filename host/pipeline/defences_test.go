package pipeline

import (
	"context"
	"math"
	"testing"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/internal/hosttest"
	"github.com/arthost/arthost/host/remote"
	"github.com/arthost/arthost/shared/tensor"
)

// elementwise is a differentiable test defence f(x) applied per element,
// with derivative df. Two non-linear ones in a chain give a wrong
// gradient unless each is differentiated at its own input.
type elementwise struct {
	name  string
	f, df func(float64) float64
}

func (e elementwise) Name() string       { return e.name }
func (e elementwise) ApplyFit() bool     { return false }
func (e elementwise) ApplyPredict() bool { return true }

func (e elementwise) Forward(x, y tensor.Tensor) (tensor.Tensor, tensor.Tensor, error) {
	out := tensor.New(tensor.Float64, x.Shape...)
	for i := range out.F64 {
		out.F64[i] = e.f(x.At(i))
	}
	return out.As(x.DType), y, nil
}

func (e elementwise) Backward(x, grad tensor.Tensor) (tensor.Tensor, error) {
	out := tensor.New(tensor.Float64, x.Shape...)
	for i := range out.F64 {
		out.F64[i] = grad.At(i) * e.df(x.At(i))
	}
	return out.As(grad.DType), nil
}

// double is a postprocessor that must never reach a gradient.
type double struct{}

func (double) Name() string { return "double" }
func (double) Apply(p tensor.Tensor) (tensor.Tensor, error) {
	out := p.Clone()
	for i := range out.F64 {
		out.F64[i] *= 2
	}
	return out, nil
}

func TestDefenceChainGradientsMatchFiniteDifferences(t *testing.T) {
	inner := hosttest.StartLinear(t, pluginDir, remote.Config{})
	square := elementwise{"square", func(v float64) float64 { return v * v }, func(v float64) float64 { return 2 * v }}
	sine := elementwise{"sine", math.Sin, math.Cos}
	p, err := New(inner, Config{Pre: []Preprocessor{square, sine}, Post: []Postprocessor{double{}},
		Subtrahend: []float64{0.2}, Divisor: []float64{0.5}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	x := input()
	y := tensor.FromInt64([]int64{1, 2, 0}, 3)
	lg, err := p.LossGradient(ctx, x, y)
	if err != nil {
		t.Fatal(err)
	}
	cg, err := p.ClassGradient(ctx, x, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The class gradient is of the model's output; the postprocessor
	// (which doubles it) is not part of it, so differentiate inner.Predict
	// of the defended input by hand.
	forward := func(x tensor.Tensor) tensor.Tensor {
		z := x.Clone()
		for i := range z.F64 {
			z.F64[i] = (math.Sin(z.F64[i]*z.F64[i]) - 0.2) / 0.5
		}
		out, err := inner.Predict(ctx, z, false)
		if err != nil {
			t.Fatal(err)
		}
		return out
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
		pp, pm := forward(xp), forward(xm)
		for c := 0; c < 3; c++ {
			fd := (pp.F64[row*3+c] - pm.F64[row*3+c]) / (2 * h)
			if got := cg.F64[(row*3+c)*4+col]; math.Abs(fd-got) > 1e-6*(1+math.Abs(fd)) {
				t.Errorf("class %d gradient %d: %v, finite difference %v", c, i, got, fd)
			}
		}
	}
	// Postprocessing applies to predictions, not to logits.
	a, _ := p.Predict(ctx, x, false)
	b := forward(x)
	for i := range a.F64 {
		if math.Abs(a.F64[i]-2*b.F64[i]) > 1e-12 {
			t.Fatalf("postprocessing not applied at %d: %v vs 2*%v", i, a.F64[i], b.F64[i])
		}
	}
}
