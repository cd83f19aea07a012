package main

import (
	"context"
	"math"
	"sync/atomic"
	"time"

	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// faulty serves a softmax model and injects the configured fault.
type faulty struct {
	m     *model
	path  string
	fault faultSpec
	calls atomic.Int64 // calls that count towards after=N
}

var (
	_ sdk.Estimator       = (*faulty)(nil)
	_ sdk.Losser          = (*faulty)(nil)
	_ sdk.LossGradienter  = (*faulty)(nil)
	_ sdk.ClassGradienter = (*faulty)(nil)
	_ sdk.Fitter          = (*faulty)(nil)
	_ sdk.Saver           = (*faulty)(nil)
	_ sdk.HealthChecker   = (*faulty)(nil)
)

func (f *faulty) Load(_ context.Context, req sdk.LoadRequest) (sdk.Description, error) {
	spec := faultSpec{
		kind:  req.Options.Enum("fault", "", "", "panic", "exit", "segv", "hang", "oom", "garbage-log", "slow"),
		after: int64(req.Options.Int("after", 0)),
		delay: req.Options.Duration("delay", 3*time.Second),
	}
	if req.Options.Has("poison") {
		spec.poison, spec.hasPoison = req.Options.Float("poison", 0), true
	}
	if err := req.Options.Err(); err != nil {
		return sdk.Description{}, err
	}
	if spec.after < 0 {
		return sdk.Description{}, sdk.InvalidArgumentf("option after=%d: want a count >= 0", spec.after)
	}
	m := builtinModel()
	if req.ModelPath != "" {
		var err error
		if m, err = readModel(req.ModelPath); err != nil {
			return sdk.Description{}, sdk.InvalidArgumentf("%v", err)
		}
	}
	f.m, f.path, f.fault = m, req.ModelPath, spec
	return f.Describe(context.Background())
}

func (f *faulty) Describe(context.Context) (sdk.Description, error) {
	model := f.path
	if model == "" {
		model = "built-in"
	}
	return sdk.Description{
		Name:        "faulty",
		Version:     "1.0.0",
		Framework:   "arthost-faulty",
		InputShape:  []int{f.m.features()},
		NbClasses:   f.m.classes(),
		Output:      sdk.OutputProbabilities,
		NativeDType: tensor.Float64,
		Info:        map[string]string{"model": model, "fault": f.fault.kind},
	}, nil
}

// call counts one call and injects the fault when it is due.
func (f *faulty) call(x tensor.Tensor) {
	n := f.calls.Add(1)
	if f.fault.due(n, x) {
		f.fault.inject()
	}
}

// forward returns softmax(W x + b) (or logits) of every row, row-major.
func (f *faulty) forward(x tensor.Tensor, logits bool) []float64 {
	n, k, d := x.Rows(), f.m.classes(), f.m.features()
	xs := x.Float64s()
	out := make([]float64, n*k)
	for i := 0; i < n; i++ {
		f.m.probs(out[i*k:(i+1)*k], xs[i*d:(i+1)*d], logits)
	}
	return out
}

func (f *faulty) Predict(_ context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error) {
	f.call(x)
	return tensor.FromFloat64(f.forward(x, logits), x.Rows(), f.m.classes()).As(x.DType), nil
}

func (f *faulty) Loss(_ context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error) {
	f.call(x)
	p, k := f.forward(x, false), f.m.classes()
	loss := make([]float64, x.Rows())
	for i := range loss {
		for c := 0; c < k; c++ {
			if q := y.Prob[i*k+c]; q > 0 {
				loss[i] -= q * math.Log(p[i*k+c])
			}
		}
	}
	return tensor.FromFloat64(loss, x.Rows()).As(x.DType), nil
}

func (f *faulty) LossGradient(_ context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error) {
	f.call(x)
	p, k, d := f.forward(x, false), f.m.classes(), f.m.features()
	g := make([]float64, x.Rows()*d)
	for i := 0; i < x.Rows(); i++ {
		f.m.lossGradient(g[i*d:(i+1)*d], p[i*k:(i+1)*k], y.Prob[i*k:(i+1)*k])
	}
	return tensor.FromFloat64(g, x.Shape...).As(x.DType), nil
}

// ClassGradient returns d p_c / dx = p_c (W_c - sum_j p_j W_j).
func (f *faulty) ClassGradient(_ context.Context, x tensor.Tensor, classes []int) (tensor.Tensor, error) {
	f.call(x)
	p, n, k, d := f.forward(x, false), x.Rows(), f.m.classes(), f.m.features()
	per := k
	if classes != nil {
		per = 1
	}
	g := make([]float64, n*per*d)
	for i := 0; i < n; i++ {
		for j := 0; j < per; j++ {
			c := j
			if classes != nil {
				c = classes[i]
			}
			dst := g[(i*per+j)*d : (i*per+j+1)*d]
			for r, row := range f.m.w {
				coef := -p[i*k+c] * p[i*k+r]
				if r == c {
					coef += p[i*k+c]
				}
				for m, v := range row {
					dst[m] += coef * v
				}
			}
		}
	}
	return tensor.FromFloat64(g, n, per, d).As(x.DType), nil
}

// Fit runs full-batch gradient descent on the cross-entropy, lr 0.1.
func (f *faulty) Fit(ctx context.Context, req sdk.FitRequest, progress func(sdk.FitProgress)) error {
	if err := req.Options.Err(); err != nil {
		return err
	}
	f.call(req.X)
	n, k, d := req.X.Rows(), f.m.classes(), f.m.features()
	xs := req.X.Float64s()
	p := make([]float64, k)
	for e := 0; e < max(req.Epochs, 1); e++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			x := xs[i*d : (i+1)*d]
			f.m.probs(p, x, false)
			for c := 0; c < k; c++ {
				g := 0.1 * (p[c] - req.Y.Prob[i*k+c]) / float64(n)
				f.m.b[c] -= g
				for j := range x {
					f.m.w[c][j] -= g * x[j]
				}
			}
		}
		progress(sdk.FitProgress{Epoch: e + 1, Epochs: max(req.Epochs, 1)})
	}
	return nil
}

func (f *faulty) Save(_ context.Context, path string) error {
	if err := f.m.save(path); err != nil {
		return sdk.InvalidArgumentf("%v", err)
	}
	return nil
}

// Health runs the model on a zero canary without counting a call; it
// stalls with a hung call because the SDK runs one call at a time.
func (f *faulty) Health(context.Context) error {
	p := make([]float64, f.m.classes())
	f.m.probs(p, make([]float64, f.m.features()), false)
	return nil
}
