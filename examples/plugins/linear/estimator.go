package main

import (
	"context"
	"math"
	"math/rand/v2"
	"os"

	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// linear is a softmax-regression estimator with analytic gradients: the
// reference example of the SDK.
type linear struct {
	m    *softmaxModel
	path string
}

var (
	_ sdk.Estimator       = (*linear)(nil)
	_ sdk.Losser          = (*linear)(nil)
	_ sdk.LossGradienter  = (*linear)(nil)
	_ sdk.ClassGradienter = (*linear)(nil)
	_ sdk.Fitter          = (*linear)(nil)
	_ sdk.Saver           = (*linear)(nil)
	_ sdk.Activator       = (*linear)(nil)
)

// Activations returns the "input", "logits" or "probabilities" layer.
// The input layer echoes x, which also makes it the benchmark of raw
// tensor transfer through the plugin boundary.
func (l *linear) Activations(_ context.Context, x tensor.Tensor, layer string) (tensor.Tensor, error) {
	if layer == "input" {
		return x, nil
	}
	return tensor.FromFloat64(l.forward(x, layer == "logits"), x.Rows(), l.m.k).As(x.DType), nil
}

func (l *linear) Load(_ context.Context, req sdk.LoadRequest) (sdk.Description, error) {
	if err := req.Options.Err(); err != nil {
		return sdk.Description{}, err
	}
	data := req.ModelBytes
	if data == nil {
		if req.ModelPath == "" {
			return sdk.Description{}, sdk.InvalidArgumentf("a model file is required (--model)")
		}
		var err error
		if data, err = os.ReadFile(req.ModelPath); err != nil {
			return sdk.Description{}, sdk.InvalidArgumentf("%v", err)
		}
	}
	m, err := parseModel(data)
	if err != nil {
		return sdk.Description{}, sdk.InvalidArgumentf("model %q: %v", req.ModelPath, err)
	}
	l.m, l.path = m, req.ModelPath
	return l.Describe(context.Background())
}

func (l *linear) Describe(context.Context) (sdk.Description, error) {
	d := sdk.Description{
		Name:        "linear",
		Version:     "1.0.0",
		Framework:   "arthost-linear",
		InputShape:  []int{l.m.d},
		NbClasses:   l.m.k,
		Output:      sdk.OutputProbabilities,
		Layers:      []string{"input", "logits", "probabilities"},
		NativeDType: tensor.Float64,
		Info:        map[string]string{"model": l.path},
	}
	if len(l.m.clip) == 2 {
		d.ClipMin, d.ClipMax = l.m.clip[:1], l.m.clip[1:]
	}
	return d, nil
}

// forward returns the probabilities (or logits) of every row, row-major.
func (l *linear) forward(x tensor.Tensor, logits bool) []float64 {
	n, k, d := x.Rows(), l.m.k, l.m.d
	xs := x.Float64s()
	out := make([]float64, n*k)
	for i := 0; i < n; i++ {
		z := out[i*k : (i+1)*k]
		l.m.logits(z, xs[i*d:(i+1)*d])
		if !logits {
			softmax(z)
		}
	}
	return out
}

func (l *linear) Predict(_ context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error) {
	return tensor.FromFloat64(l.forward(x, logits), x.Rows(), l.m.k).As(x.DType), nil
}

func (l *linear) Loss(_ context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error) {
	p := l.forward(x, false)
	k := l.m.k
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

func (l *linear) LossGradient(_ context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error) {
	p := l.forward(x, false)
	n, k, d := x.Rows(), l.m.k, l.m.d
	g := make([]float64, n*d)
	for i := 0; i < n; i++ {
		l.m.lossGradient(g[i*d:(i+1)*d], p[i*k:(i+1)*k], y.Prob[i*k:(i+1)*k])
	}
	return tensor.FromFloat64(g, x.Shape...).As(x.DType), nil
}

func (l *linear) ClassGradient(_ context.Context, x tensor.Tensor, classes []int) (tensor.Tensor, error) {
	p := l.forward(x, false)
	n, k, d := x.Rows(), l.m.k, l.m.d
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
			off := (i*per + j) * d
			l.m.classGradient(g[off:off+d], p[i*k:(i+1)*k], c)
		}
	}
	return tensor.FromFloat64(g, n, per, d).As(x.DType), nil
}

// Fit runs minibatch SGD on the cross-entropy. Options: lr (default 0.1),
// seed (shuffling, default 1).
func (l *linear) Fit(ctx context.Context, req sdk.FitRequest, progress func(sdk.FitProgress)) error {
	lr := req.Options.Float("lr", 0.1)
	seed := req.Options.Int("seed", 1)
	if err := req.Options.Err(); err != nil {
		return err
	}
	if req.Y.K != l.m.k {
		return sdk.InvalidArgumentf("labels have %d classes, model has %d", req.Y.K, l.m.k)
	}
	epochs, batch := max(req.Epochs, 1), req.BatchSize
	n, k, d := req.X.Rows(), l.m.k, l.m.d
	if batch <= 0 || batch > n {
		batch = n
	}
	xs := req.X.Float64s()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	order := rng.Perm(n)
	p := make([]float64, k)
	gw, gb := make([]float64, k*d), make([]float64, k)
	for e := 0; e < epochs; e++ {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		total, correct := 0.0, 0
		for start := 0; start < n; start += batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			clear(gw)
			clear(gb)
			end := min(start+batch, n)
			for _, i := range order[start:end] {
				x := xs[i*d : (i+1)*d]
				l.m.logits(p, x)
				softmax(p)
				best := 0
				for c := 0; c < k; c++ {
					q := req.Y.Prob[i*k+c]
					if q > 0 {
						total -= q * math.Log(p[c])
					}
					if p[c] > p[best] {
						best = c
					}
					g := p[c] - q
					gb[c] += g
					for j, v := range x {
						gw[c*d+j] += g * v
					}
				}
				if best == req.Y.Index[i] {
					correct++
				}
			}
			scale := lr / float64(end-start)
			for i := range gw {
				l.m.w[i] -= scale * gw[i]
			}
			for i := range gb {
				l.m.b[i] -= scale * gb[i]
			}
		}
		progress(sdk.FitProgress{Epoch: e + 1, Epochs: epochs, Loss: total / float64(n), Accuracy: float64(correct) / float64(n)})
	}
	return nil
}

func (l *linear) Save(_ context.Context, path string) error {
	if err := l.m.save(path); err != nil {
		return sdk.InvalidArgumentf("%v", err)
	}
	return nil
}
