// Package pipeline wraps any host.Estimator with what ART puts around a
// model, in ART's order: preprocessing defences in list order, the input
// standardisation (x - subtrahend) / divisor, the model, postprocessing
// defences in list order. Gradients run back through the standardisation
// and the preprocessing defences in reverse, each defence given its own
// input; postprocessing never takes part in a gradient. clip_values bound
// what attacks may produce.
package pipeline

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/tensor"
)

// Config describes the wrapping. Zero values leave the input unchanged
// and keep the model's own clip values.
type Config struct {
	// Name replaces the inner estimator's name in errors and Describe.
	Name string
	// ClipValues is [min, max], or per-feature bounds as two lists.
	ClipMin, ClipMax []float64
	// Subtrahend and Divisor standardise the input: a scalar each, one
	// value per channel, or one per feature. Empty means 0 and 1.
	Subtrahend, Divisor []float64
	// Pre and Post are the preprocessing and postprocessing defences.
	Pre  []Preprocessor
	Post []Postprocessor
	// InputShape, when set, is the sample shape callers use; inputs are
	// reshaped to the inner model's shape (same number of features) and
	// gradients back, so a model on flat features can sit in an ensemble
	// beside one on images.
	InputShape []int
}

// Pipeline is an estimator behind standardisation and clip values.
type Pipeline struct {
	inner host.Estimator
	cfg   Config
	desc  host.Description
}

var _ host.Estimator = (*Pipeline)(nil)

// New wraps inner. It checks the configuration against inner's input shape.
func New(inner host.Estimator, cfg Config) (*Pipeline, error) {
	d := inner.Describe()
	if cfg.Name == "" {
		cfg.Name = d.Name
	}
	if len(cfg.ClipMin) != len(cfg.ClipMax) {
		return nil, fmt.Errorf("%s: clip_values: %d minima and %d maxima", cfg.Name, len(cfg.ClipMin), len(cfg.ClipMax))
	}
	for i := range cfg.ClipMin {
		if !(cfg.ClipMin[i] < cfg.ClipMax[i]) {
			return nil, fmt.Errorf("%s: clip_values: min %v is not below max %v", cfg.Name, cfg.ClipMin[i], cfg.ClipMax[i])
		}
	}
	for i, v := range cfg.Divisor {
		if v == 0 || v != v {
			return nil, fmt.Errorf("%s: preprocessing: divisor[%d] is %v", cfg.Name, i, v)
		}
	}
	if features := knownFeatures(d.InputShape); features > 0 {
		for _, p := range []struct {
			name string
			v    []float64
		}{{"clip_values", cfg.ClipMin}, {"subtrahend", cfg.Subtrahend}, {"divisor", cfg.Divisor}} {
			if n := len(p.v); n > 1 && n != features && n != channels(d) {
				return nil, fmt.Errorf("%s: %s has %d values; want 1, %d (channels) or %d (features) for input shape %v",
					cfg.Name, p.name, n, channels(d), features, d.InputShape)
			}
		}
	}
	d.Name = cfg.Name
	if cfg.InputShape != nil {
		if f := knownFeatures(d.InputShape); f == 0 || tensor.NumElements(cfg.InputShape) != f {
			return nil, fmt.Errorf("%s: input_shape %v has %d features, the model takes %v", cfg.Name, cfg.InputShape, tensor.NumElements(cfg.InputShape), d.InputShape)
		}
		d.InputShape = append([]int(nil), cfg.InputShape...)
	}
	if len(cfg.Pre)+len(cfg.Post) > 0 {
		info := map[string]string{}
		for k, v := range d.Info {
			info[k] = v
		}
		info["defences.pre"], info["defences.post"] = defenceNames(cfg.Pre), defenceNames(cfg.Post)
		d.Info = info
	}
	if len(cfg.ClipMin) > 0 {
		d.ClipMin, d.ClipMax = cfg.ClipMin, cfg.ClipMax
	}
	return &Pipeline{inner: inner, cfg: cfg, desc: d}, nil
}

func knownFeatures(shape []int) int {
	if shape == nil {
		return 0
	}
	n := 1
	for _, s := range shape {
		if s < 0 {
			return 0
		}
		n *= s
	}
	return n
}

func channels(d host.Description) int {
	if len(d.InputShape) == 0 {
		return 1
	}
	if d.ChannelsFirst {
		return d.InputShape[0]
	}
	return d.InputShape[len(d.InputShape)-1]
}

// Describe returns the inner description with this pipeline's name and clip values.
func (p *Pipeline) Describe() host.Description { return p.desc }

// Inner returns the wrapped estimator.
func (p *Pipeline) Inner() host.Estimator { return p.inner }

func (p *Pipeline) standardising() bool { return len(p.cfg.Subtrahend) > 0 || len(p.cfg.Divisor) > 0 }

// expand returns v as one value per element of a sample of the given shape.
func (p *Pipeline) expand(v []float64, def float64, sample []int) ([]float64, error) {
	n := tensor.NumElements(sample)
	out := make([]float64, n)
	switch len(v) {
	case 0:
		for i := range out {
			out[i] = def
		}
	case 1:
		for i := range out {
			out[i] = v[0]
		}
	case n:
		copy(out, v)
	default:
		if len(sample) == 0 {
			return nil, fmt.Errorf("%d values for a scalar sample", len(v))
		}
		axis := len(sample) - 1
		if p.desc.ChannelsFirst {
			axis = 0
		}
		if sample[axis] != len(v) {
			return nil, fmt.Errorf("%d values for sample shape %v (channel axis %d has %d)", len(v), sample, axis, sample[axis])
		}
		inner := tensor.NumElements(sample[axis+1:])
		for i := range out {
			out[i] = v[(i/inner)%len(v)]
		}
	}
	return out, nil
}

// standardise returns (x - subtrahend) / divisor and the per-element
// divisor of one sample, in x's dtype.
func (p *Pipeline) standardise(method string, x tensor.Tensor) (tensor.Tensor, []float64, error) {
	if !p.standardising() {
		return x, nil, nil
	}
	if err := x.Validate(); err != nil || !x.IsFloat() || len(x.Shape) == 0 {
		return x, nil, host.Errorf(p.desc.Name, method, codes.InvalidArgument, "input %v %v: want a float batch", x.DType, x.Shape)
	}
	sub, err := p.expand(p.cfg.Subtrahend, 0, x.Shape[1:])
	if err != nil {
		return x, nil, host.Errorf(p.desc.Name, method, codes.InvalidArgument, "preprocessing subtrahend: %v", err)
	}
	div, err := p.expand(p.cfg.Divisor, 1, x.Shape[1:])
	if err != nil {
		return x, nil, host.Errorf(p.desc.Name, method, codes.InvalidArgument, "preprocessing divisor: %v", err)
	}
	out := tensor.New(x.DType, x.Shape...)
	m := len(sub)
	for i := 0; i < x.Len(); i++ {
		v := (x.At(i) - sub[i%m]) / div[i%m]
		if x.DType == tensor.Float32 {
			out.F32[i] = float32(v)
		} else {
			out.F64[i] = v
		}
	}
	return out, div, nil
}

// unstandardise divides a gradient with respect to the standardised input
// by the divisor, giving the gradient with respect to the caller's input.
// g's trailing elements repeat with period len(div).
func unstandardise(g tensor.Tensor, div []float64) tensor.Tensor {
	if div == nil {
		return g
	}
	m := len(div)
	for i := 0; i < g.Len(); i++ {
		if g.DType == tensor.Float32 {
			g.F32[i] = float32(float64(g.F32[i]) / div[i%m])
		} else {
			g.F64[i] /= div[i%m]
		}
	}
	return g
}

func (p *Pipeline) rename(err error) error {
	if e, ok := err.(*host.Error); ok && p.cfg.Name != "" && e.Estimator != p.desc.Name {
		c := *e
		c.Estimator = p.desc.Name
		return &c
	}
	return err
}

// toInner views a batch in the caller's shape as the inner model's shape.
func (p *Pipeline) toInner(x tensor.Tensor) tensor.Tensor {
	if p.cfg.InputShape == nil || len(x.Shape) == 0 {
		return x
	}
	inner := p.inner.Describe().InputShape
	x.Shape = append([]int{x.Shape[0]}, inner...)
	return x
}

// fromInner views a gradient over the inner model's input, (n, *inner) or
// (n, k, *inner), in the caller's shape.
func (p *Pipeline) fromInner(g tensor.Tensor, lead int) tensor.Tensor {
	if p.cfg.InputShape == nil || len(g.Shape) < lead {
		return g
	}
	g.Shape = append(append([]int(nil), g.Shape[:lead]...), p.cfg.InputShape...)
	return g
}

// input runs the predict-time defences and the standardisation, returning
// the model's input, the defences' inputs and the per-element divisor.
func (p *Pipeline) input(method string, x tensor.Tensor) (tensor.Tensor, []tensor.Tensor, []float64, error) {
	inputs, _, err := p.preprocess(method, x, tensor.Tensor{}, false)
	if err != nil {
		return x, nil, nil, err
	}
	xs, div, err := p.standardise(method, inputs[len(inputs)-1])
	return p.toInner(xs), inputs, div, err
}

// Predict runs the defences and standardisation, predicts, and applies
// the postprocessing defences (to probabilities only: with logits they
// are skipped, as they expect probabilities).
func (p *Pipeline) Predict(ctx context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error) {
	xs, _, _, err := p.input("predict", x)
	if err != nil {
		return xs, err
	}
	y, err := p.inner.Predict(ctx, xs, logits)
	if err != nil || logits {
		return y, p.rename(err)
	}
	return p.postprocess(y)
}

// PredictRaw returns the inner ensemble's weighted per-member outputs for
// the defended, standardised input (no postprocessing, as in ART).
func (p *Pipeline) PredictRaw(ctx context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error) {
	r, ok := p.inner.(interface {
		PredictRaw(context.Context, tensor.Tensor, bool) (tensor.Tensor, error)
	})
	if !ok {
		return tensor.Tensor{}, host.Errorf(p.desc.Name, "predict", codes.InvalidArgument, "raw output needs an ensemble")
	}
	xs, _, _, err := p.input("predict", x)
	if err != nil {
		return xs, err
	}
	y, err := r.PredictRaw(ctx, xs, logits)
	return y, p.rename(err)
}

// PredictUncertainty preprocesses x and asks the inner estimator.
func (p *Pipeline) PredictUncertainty(ctx context.Context, x tensor.Tensor) (tensor.Tensor, error) {
	xs, _, _, err := p.input("predict_uncertainty", x)
	if err != nil {
		return xs, err
	}
	v, err := p.inner.PredictUncertainty(ctx, xs)
	return v, p.rename(err)
}

// Loss preprocesses x and returns the inner loss.
func (p *Pipeline) Loss(ctx context.Context, x, y tensor.Tensor, r host.Reduction) (tensor.Tensor, error) {
	xs, _, _, err := p.input("loss", x)
	if err != nil {
		return xs, err
	}
	v, err := p.inner.Loss(ctx, xs, y, r)
	return v, p.rename(err)
}

// LossGradient is the inner gradient carried back through the
// standardisation and the defences.
func (p *Pipeline) LossGradient(ctx context.Context, x, y tensor.Tensor) (tensor.Tensor, error) {
	xs, inputs, div, err := p.input("loss_gradient", x)
	if err != nil {
		return xs, err
	}
	g, err := p.inner.LossGradient(ctx, xs, y)
	if err != nil {
		return g, p.rename(err)
	}
	return p.backward("loss_gradient", inputs, unstandardise(p.fromInner(g, 1), div), 0)
}

// ClassGradient is the inner class gradient carried back through the
// standardisation and the defences, one class slice at a time.
func (p *Pipeline) ClassGradient(ctx context.Context, x tensor.Tensor, classes []int) (tensor.Tensor, error) {
	xs, inputs, div, err := p.input("class_gradient", x)
	if err != nil {
		return xs, err
	}
	g, err := p.inner.ClassGradient(ctx, xs, classes)
	if err != nil {
		return g, p.rename(err)
	}
	if len(g.Shape) < 2 {
		return g, host.Errorf(p.desc.Name, "class_gradient", codes.Internal, "gradient shape %v", g.Shape)
	}
	return p.backward("class_gradient", inputs, unstandardise(p.fromInner(g, 2), div), g.Shape[1])
}

// Activations preprocesses x and returns the layer's output.
func (p *Pipeline) Activations(ctx context.Context, x tensor.Tensor, layer string) (tensor.Tensor, error) {
	xs, _, _, err := p.input("activations", x)
	if err != nil {
		return xs, err
	}
	a, err := p.inner.Activations(ctx, xs, layer)
	return a, p.rename(err)
}

// Fit runs the fit-time defences (which may add samples or change labels)
// and the standardisation, then trains the inner estimator.
func (p *Pipeline) Fit(ctx context.Context, x, y tensor.Tensor, opts host.FitOptions) error {
	if p.fitDefences() && p.desc.NbClasses > 0 && len(y.Shape) == 1 {
		// Fit-time defences (label smoothing) work on one-hot rows.
		l, err := tensor.NormalizeLabels(y, x.Rows(), p.desc.NbClasses)
		if err != nil {
			return host.Errorf(p.desc.Name, "fit", codes.InvalidArgument, "%v", err)
		}
		y = tensor.FromFloat64(l.Prob, l.N, l.K)
	}
	inputs, y, err := p.preprocess("fit", x, y, true)
	if err != nil {
		return err
	}
	xs, _, err := p.standardise("fit", inputs[len(inputs)-1])
	if err != nil {
		return err
	}
	if err := p.inner.Fit(ctx, p.toInner(xs), y, opts); err != nil {
		return p.rename(err)
	}
	keep := p.desc
	p.desc = p.inner.Describe()
	p.desc.Name, p.desc.ClipMin, p.desc.ClipMax, p.desc.Info = keep.Name, keep.ClipMin, keep.ClipMax, keep.Info
	if p.cfg.InputShape != nil {
		p.desc.InputShape = keep.InputShape
	}
	return nil
}

func (p *Pipeline) fitDefences() bool {
	for _, d := range p.cfg.Pre {
		if d.ApplyFit() {
			return true
		}
	}
	return false
}

// Save saves the inner model (defences and standardisation live in the config).
func (p *Pipeline) Save(ctx context.Context, path string) error {
	return p.rename(p.inner.Save(ctx, path))
}

// Close closes the inner estimator.
func (p *Pipeline) Close() error { return p.inner.Close() }
