// Package host is the library a Go program embeds to use arthost
// estimators: the Estimator interface that plugin-backed estimators,
// pipelines and ensembles all implement, and the errors they return.
//
// Subpackages: discovery finds plugin executables, remote runs one plugin
// process per model, pipeline adds standardisation, clip values and
// batching, config reads the YAML file that names estimators.
package host

import (
	"context"

	"github.com/arthost/arthost/shared/tensor"
)

// Estimator is ART's classifier API in Go. Inputs are batches (n, *input
// shape) of float32 or float64; labels are class indices (n,) or one-hot
// rows (n, nb_classes). A method the estimator lacks returns an *Error with
// code Unimplemented before any plugin call is made.
type Estimator interface {
	// Describe returns what the estimator is and can do; it does not call
	// the plugin.
	Describe() Description
	// Predict returns (n, nb_classes): the model's output, or logits.
	Predict(ctx context.Context, x tensor.Tensor, logits bool) (tensor.Tensor, error)
	// Loss returns the per-sample loss (n,), or its mean or sum as a scalar.
	Loss(ctx context.Context, x, y tensor.Tensor, r Reduction) (tensor.Tensor, error)
	// LossGradient returns d loss_i / d x_i with the shape of x.
	LossGradient(ctx context.Context, x, y tensor.Tensor) (tensor.Tensor, error)
	// ClassGradient returns (n, nb_classes, *input) for classes == nil, and
	// (n, 1, *input) for one class (len 1) or one class per row (len n).
	ClassGradient(ctx context.Context, x tensor.Tensor, classes []int) (tensor.Tensor, error)
	// Activations returns a layer's output, the layer given by name or index.
	Activations(ctx context.Context, x tensor.Tensor, layer string) (tensor.Tensor, error)
	// PredictUncertainty returns a per-sample uncertainty such as a GP's
	// latent variance.
	PredictUncertainty(ctx context.Context, x tensor.Tensor) (tensor.Tensor, error)
	// Fit trains the estimator in place.
	Fit(ctx context.Context, x, y tensor.Tensor, opts FitOptions) error
	// Save writes the model in the format its plugin loads.
	Save(ctx context.Context, path string) error
	// Close releases the estimator and any plugin process behind it.
	Close() error
}

// Reduction combines per-sample losses.
type Reduction int

// Reductions, as in ART.
const (
	ReduceNone Reduction = iota
	ReduceMean
	ReduceSum
)

// ParseReduction reads none, mean or sum.
func ParseReduction(s string) (Reduction, bool) {
	switch s {
	case "none":
		return ReduceNone, true
	case "mean":
		return ReduceMean, true
	case "sum":
		return ReduceSum, true
	}
	return 0, false
}

// FitOptions configure training. Zero values are the plugin's defaults.
type FitOptions struct {
	Epochs    int
	BatchSize int
	Options   map[string]string
	// Progress, when set, receives each progress report.
	Progress func(FitProgress)
}

// FitProgress is one training report from a plugin.
type FitProgress struct {
	Epoch, Epochs int
	Step, Steps   int
	Loss          float64
	Accuracy      float64
	Message       string
}

// Description says what an estimator is and which methods it answers.
type Description struct {
	Name          string // the estimator's name in the host (config key or plugin name)
	Plugin        string // the plugin behind it, "" for composites
	ModelName     string // the name the plugin reports
	Version       string
	Framework     string
	InputShape    []int // one sample; -1 marks a symbolic dimension; nil when unknown
	NbClasses     int
	ChannelsFirst bool
	// ClipMin and ClipMax bound valid inputs: empty, one value each, or one
	// per input feature.
	ClipMin, ClipMax []float64
	OutputLogits     bool // Predict returns logits rather than probabilities
	Layers           []string
	NativeDType      tensor.DType
	Capabilities     Capabilities
	Info             map[string]string
}

// Capabilities lists the optional methods an estimator answers.
type Capabilities struct {
	PredictUncertainty bool
	Loss               bool
	LossGradient       bool
	ClassGradient      bool
	Activations        bool
	Fit                bool
	Save               bool
	GradientsEstimated bool
	// SharedMemory: the plugin exchanges large tensors through shared
	// memory rather than inline in gRPC messages.
	SharedMemory bool
}

// Has reports whether the named method ("predict", "loss_gradient", ...) is
// available; unknown names report false.
func (c Capabilities) Has(method string) bool {
	switch method {
	case "predict":
		return true
	case "predict_uncertainty":
		return c.PredictUncertainty
	case "loss":
		return c.Loss
	case "loss_gradient":
		return c.LossGradient
	case "class_gradient":
		return c.ClassGradient
	case "activations":
		return c.Activations
	case "fit":
		return c.Fit
	case "save":
		return c.Save
	}
	return false
}
