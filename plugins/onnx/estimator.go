package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// maxThreads bounds the threads option: more goroutines than this only
// adds scheduling cost on the machines arthost targets.
const maxThreads = 256

// estimator serves one ONNX model. After Load it is read-only, so
// concurrent Predict calls are safe.
type estimator struct {
	reg   *ops.Registry
	m     *model
	desc  sdk.Description
	ready bool
}

// model is what Load resolved: the graph and how to read its output.
type model struct {
	g *graph.Model
	// input and output are the graph values fed and read; logits names
	// the value holding logits ("" when the model has none).
	input, output, logits string
	// softmaxOut means Predict must apply softmax to output itself
	// (output=probabilities on a model without a final Softmax).
	softmaxOut bool
	threads    int
	nbClasses  int
	layers     []string
}

func newEstimator() *estimator {
	reg := ops.NewRegistry()
	ops.RegisterVJPs(reg) // backward rules for gradients.go and fit.go (issue 4)
	return &estimator{reg: reg}
}

// Load reads the model from req.ModelPath or req.ModelBytes.
func (e *estimator) Load(ctx context.Context, req sdk.LoadRequest) (sdk.Description, error) {
	opts := &req.Options
	if opts.Raw() == nil {
		// A zero Options (no NewOptions) has no maps to record keys in.
		opts = sdk.NewOptions(nil)
	}
	outKind := opts.Enum("output", "", "", "logits", "probabilities")
	inName, outName := opts.String("input", ""), opts.String("output_name", "")
	threads := opts.Int("threads", 1)
	if err := opts.Err(); err != nil {
		return sdk.Description{}, err
	}
	if threads < 1 || threads > maxThreads {
		return sdk.Description{}, sdk.InvalidArgumentf("onnx load: option threads=%d: want 1 to %d", threads, maxThreads)
	}
	data, name := req.ModelBytes, "model"
	if data == nil {
		if req.ModelPath == "" {
			return sdk.Description{}, sdk.InvalidArgumentf("onnx load: no model path or bytes")
		}
		b, err := os.ReadFile(req.ModelPath)
		if err != nil {
			return sdk.Description{}, sdk.InvalidArgumentf("onnx load: %v", err)
		}
		data, name = b, filepath.Base(req.ModelPath)
	}
	g, err := graph.Load(data, e.reg)
	if err != nil {
		return sdk.Description{}, sdk.InvalidArgumentf("onnx load %s: %v", name, err)
	}
	m, desc, err := resolve(g, inName, outName, outKind)
	if err != nil {
		return sdk.Description{}, sdk.InvalidArgumentf("onnx load %s: %v", name, err)
	}
	m.threads = threads
	desc.Name = name
	e.m, e.desc, e.ready = m, desc, true
	return desc, nil
}

// Describe returns the loaded model's description.
func (e *estimator) Describe(ctx context.Context) (sdk.Description, error) {
	if !e.ready {
		return sdk.Description{}, sdk.FailedPreconditionf("onnx describe: no model loaded")
	}
	return e.desc, nil
}

// Predict runs the model on x (float32 or float64, shape (n, *input)).
func (e *estimator) Predict(ctx context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error) {
	if !e.ready {
		return tensor.Tensor{}, sdk.FailedPreconditionf("onnx predict: no model loaded")
	}
	m := e.m
	want, soft := m.output, m.softmaxOut
	if logits {
		if m.logits == "" {
			return tensor.Tensor{}, sdk.InvalidArgumentf("onnx predict: model %s outputs probabilities and has no logits", e.desc.Name)
		}
		want, soft = m.logits, false
	}
	env, err := m.run(ctx, x, false)
	if err != nil {
		return tensor.Tensor{}, fmt.Errorf("onnx predict: %w", err)
	}
	y := m.g.Get(env, want)
	n := x.Shape[0]
	if y == nil || y.DType != nd.Float32 || y.Len() != n*m.nbClasses {
		return tensor.Tensor{}, fmt.Errorf("onnx predict: output %q has shape %v, want (%d, %d)", want, shapeOf(y), n, m.nbClasses)
	}
	if soft {
		y = softmaxRows(y, n, m.nbClasses)
	}
	return fromND(y, x.DType, n, m.nbClasses), nil
}

// Activations returns the value of a layer (one of Description.Layers).
func (e *estimator) Activations(ctx context.Context, x tensor.Tensor, layer string) (tensor.Tensor, error) {
	if !e.ready {
		return tensor.Tensor{}, sdk.FailedPreconditionf("onnx activations: no model loaded")
	}
	if _, ok := e.m.g.Slot(layer); !ok {
		return tensor.Tensor{}, sdk.InvalidArgumentf("onnx activations: no layer %q", layer)
	}
	env, err := e.m.run(ctx, x, true)
	if err != nil {
		return tensor.Tensor{}, fmt.Errorf("onnx activations: %w", err)
	}
	v := e.m.g.Get(env, layer)
	if v == nil {
		return tensor.Tensor{}, fmt.Errorf("onnx activations: layer %q was not computed", layer)
	}
	if v.DType != nd.Float32 {
		t := tensor.New(tensor.Int64, v.Shape...)
		copy(t.I64, v.I)
		return t, nil
	}
	return fromND(v, x.DType, v.Shape...), nil
}

// run feeds x to the graph.
func (m *model) run(ctx context.Context, x tensor.Tensor, keep bool) (*graph.Env, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in, err := toND(x)
	if err != nil {
		return nil, err
	}
	return m.g.Run(&ops.Ctx{Threads: m.threads}, map[string]*nd.Array{m.input: in}, keep)
}

var (
	_ sdk.Estimator = (*estimator)(nil)
	_ sdk.Activator = (*estimator)(nil)
)
