// Package sdk is what a plugin author imports to add a framework to arthost.
//
// Implement Estimator (Load, Describe, Predict) and any of the optional
// capability interfaces (Losser, LossGradienter, ClassGradienter, ...), then
// call Serve from main. The SDK speaks the gRPC contract of
// shared/proto/arthost/v1/estimator.proto: it validates every input (shape,
// dtype, NaN, label range) before your code sees it, answers
// codes.Unimplemented for the capabilities you do not implement, sets the
// capability flags to match, and turns any panic into codes.Internal.
//
// A minimal plugin:
//
//	func main() { sdk.Serve(&myModel{}) }
//
// See examples/plugins/linear for a complete one.
package sdk

import (
	"context"

	"github.com/arthost/arthost/shared/tensor"
)

// OutputKind says what Predict returns without the logits flag.
type OutputKind int

// Output kinds.
const (
	OutputLogits OutputKind = iota + 1
	OutputProbabilities
)

// Description says what a loaded model is. The SDK fills Capabilities from
// the interfaces the estimator implements, less Withheld.
type Description struct {
	Name      string
	Version   string
	Framework string
	// InputShape of one sample without the batch dimension; -1 marks a
	// symbolic dimension that any size matches.
	InputShape    []int
	NbClasses     int
	ChannelsFirst bool
	// ClipMin and ClipMax are the bounds the model carries: empty, one value
	// each, or one per input feature.
	ClipMin, ClipMax []float64
	Output           OutputKind
	Layers           []string
	NativeDType      tensor.DType
	// Withheld lists capabilities this model lacks even though the
	// estimator type implements them (a tree model has no gradient).
	Withheld []Capability
	// GradientsEstimated marks gradients that are estimates, not exact.
	GradientsEstimated bool
	// Info holds facts worth showing users (model family, query count, ...).
	Info map[string]string
}

// Capability names an optional method.
type Capability string

// The optional capabilities, named as in the contract.
const (
	CapPredictUncertainty Capability = "predict_uncertainty"
	CapLoss               Capability = "loss"
	CapLossGradient       Capability = "loss_gradient"
	CapClassGradient      Capability = "class_gradient"
	CapActivations        Capability = "activations"
	CapFit                Capability = "fit"
	CapSave               Capability = "save"
)

// LoadRequest carries the model and the options given by the user.
type LoadRequest struct {
	ModelPath  string
	ModelBytes []byte
	Options    Options
}

// Estimator is the required part of a plugin.
//
// Load is called once per process before any other method; Describe after
// Load returns the loaded model's description. Predict returns shape
// (n, NbClasses): probabilities or logits as Description.Output says, or
// logits when logits is true (return an InvalidArgument error if the model
// has none). x has been checked against InputShape, is non-empty and finite,
// and is float32 or float64; return the same dtype.
type Estimator interface {
	Load(ctx context.Context, req LoadRequest) (Description, error)
	Describe(ctx context.Context) (Description, error)
	Predict(ctx context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error)
}

// Reduction says how Loss combines per-sample values.
type Reduction int

// Reductions.
const (
	ReduceNone Reduction = iota
	ReduceMean
	ReduceSum
)

// Losser computes the per-sample training loss; the SDK applies the
// reduction, so Loss returns shape (n,).
type Losser interface {
	Loss(ctx context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error)
}

// LossGradienter returns d loss_i / d x_i with the shape of x. Each row is
// the gradient of that sample's own loss, independent of the batch.
type LossGradienter interface {
	LossGradient(ctx context.Context, x tensor.Tensor, y tensor.Labels) (tensor.Tensor, error)
}

// ClassGradienter returns gradients of the model's output (as Predict
// returns it without logits) with respect to x. classes is nil for all
// classes, shape (n, NbClasses, *input); otherwise it has one class per row
// (the SDK expands a single class), shape (n, 1, *input).
type ClassGradienter interface {
	ClassGradient(ctx context.Context, x tensor.Tensor, classes []int) (tensor.Tensor, error)
}

// UncertaintyPredictor returns a per-sample, per-output uncertainty (for a
// Gaussian process the latent variance), shape (n, ...).
type UncertaintyPredictor interface {
	PredictUncertainty(ctx context.Context, x tensor.Tensor) (tensor.Tensor, error)
}

// Activator returns the output of a named layer (one of
// Description.Layers; the SDK resolves indices to names).
type Activator interface {
	Activations(ctx context.Context, x tensor.Tensor, layer string) (tensor.Tensor, error)
}

// FitRequest is a training job.
type FitRequest struct {
	X         tensor.Tensor
	Y         tensor.Labels
	Epochs    int
	BatchSize int
	Options   Options
}

// FitProgress is one progress report; send as often as useful.
type FitProgress struct {
	Epoch, Epochs int
	Step, Steps   int
	Loss          float64
	Accuracy      float64
	Message       string
}

// Fitter trains the loaded model in place, calling progress as it goes.
type Fitter interface {
	Fit(ctx context.Context, req FitRequest, progress func(FitProgress)) error
}

// Saver writes the loaded (possibly trained) model to path in the format
// Load reads.
type Saver interface {
	Save(ctx context.Context, path string) error
}

// HealthChecker replaces the SDK's default health check (a canary Predict
// on zeros of the input shape, checked for shape and finiteness).
type HealthChecker interface {
	Health(ctx context.Context) error
}
