package defences

import (
	"fmt"
	"sort"
	"strings"

	"github.com/arthost/arthost/shared/tensor"
)

// DefaultSeed seeds the random defences when the configuration gives no
// seed, so that a run is repeatable by default.
const DefaultSeed = 1234

// Preprocessor is a defence applied to the input before the model.
type Preprocessor interface {
	// Name is ART's class name in snake_case, e.g. "feature_squeezing".
	Name() string
	// ApplyFit reports whether the defence is applied when fitting.
	ApplyFit() bool
	// ApplyPredict reports whether it is applied when predicting and
	// computing gradients.
	ApplyPredict() bool
	// Forward returns the transformed batch x and labels y. y may be
	// absent (tensor.Tensor{}); defences that do not touch labels return
	// it as given. x must be float32 or float64 with the batch first; the
	// result keeps its dtype.
	Forward(x, y tensor.Tensor) (tensor.Tensor, tensor.Tensor, error)
	// Backward maps grad, the gradient with respect to the defence's
	// output for input x, to the gradient with respect to x. grad has the
	// output's shape, or (n, m, output sample...) for class gradients, in
	// which case the result is (n, m, x sample...). Defences without a
	// true gradient return grad unchanged (BPDA with the identity).
	Backward(x, grad tensor.Tensor) (tensor.Tensor, error)
}

// Postprocessor is a defence applied to the model's predictions. It is
// never part of a gradient.
type Postprocessor interface {
	// Name is ART's class name in snake_case, e.g. "reverse_sigmoid".
	Name() string
	// ApplyPredict reports whether the defence is applied to predictions
	// (ART's apply_predict, true unless configured otherwise).
	ApplyPredict() bool
	// Apply returns the post-processed predictions of shape (n, classes),
	// in the dtype given.
	Apply(preds tensor.Tensor) (tensor.Tensor, error)
}

// Defaults are what the host knows about the model behind the defences.
// The zero value gives ART's behaviour exactly.
type Defaults struct {
	// ChannelsFirst is used for channels_first when a defence that has
	// the parameter is configured without it (ART's default is false).
	ChannelsFirst bool
}

type preCtor func(p *params, d Defaults) Preprocessor
type postCtor func(p *params) Postprocessor

var preprocessors = map[string]preCtor{
	"feature_squeezing":     newFeatureSqueezing,
	"spatial_smoothing":     newSpatialSmoothing,
	"gaussian_augmentation": newGaussianAugmentation,
	"label_smoothing":       newLabelSmoothing,
	"jpeg_compression":      newJpegCompression,
	"thermometer_encoding":  newThermometerEncoding,
	"total_var_min":         newTotalVarMin,
}

var postprocessors = map[string]postCtor{
	"class_labels":    newClassLabels,
	"gaussian_noise":  newGaussianNoise,
	"high_confidence": newHighConfidence,
	"reverse_sigmoid": newReverseSigmoid,
	"rounded":         newRounded,
}

func names[V any](m map[string]V) string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// PreprocessorNames and PostprocessorNames list the known names, sorted
// and comma-separated, for help texts and errors.
func PreprocessorNames() string  { return names(preprocessors) }
func PostprocessorNames() string { return names(postprocessors) }

// NewPreprocessor builds the preprocessing defence called name from its
// configuration mapping (ART's parameter names). It refuses an unknown
// name, an unknown parameter, a missing required one and an invalid value,
// with an error that names the defence and the parameter.
func NewPreprocessor(name string, params map[string]any, d Defaults) (Preprocessor, error) {
	ctor, ok := preprocessors[name]
	if !ok {
		if _, post := postprocessors[name]; post {
			return nil, fmt.Errorf("%q is a postprocessing defence, not a preprocessing one", name)
		}
		return nil, fmt.Errorf("unknown preprocessing defence %q (known: %s)", name, PreprocessorNames())
	}
	p := newParams(name, params)
	pre := ctor(p, d)
	if err := p.done(); err != nil {
		return nil, err
	}
	return pre, nil
}

// NewPostprocessor builds the postprocessing defence called name from its
// configuration mapping, refusing what NewPreprocessor refuses.
func NewPostprocessor(name string, params map[string]any) (Postprocessor, error) {
	ctor, ok := postprocessors[name]
	if !ok {
		if _, pre := preprocessors[name]; pre {
			return nil, fmt.Errorf("%q is a preprocessing defence, not a postprocessing one", name)
		}
		return nil, fmt.Errorf("unknown postprocessing defence %q (known: %s)", name, PostprocessorNames())
	}
	p := newParams(name, params)
	post := ctor(p)
	if err := p.done(); err != nil {
		return nil, err
	}
	return post, nil
}

// ChainForward applies defs in order to (x, y) and returns the result with
// the input each defence saw (inputs[i] is what defs[i] got), ready for
// ChainBackward. The caller chooses defs by their ApplyFit or
// ApplyPredict flags.
func ChainForward(defs []Preprocessor, x, y tensor.Tensor) (tensor.Tensor, tensor.Tensor, []tensor.Tensor, error) {
	inputs := make([]tensor.Tensor, len(defs))
	for i, d := range defs {
		inputs[i] = x
		var err error
		if x, y, err = d.Forward(x, y); err != nil {
			return tensor.Tensor{}, tensor.Tensor{}, nil, fmt.Errorf("preprocessing defence %d: %w", i, err)
		}
	}
	return x, y, inputs, nil
}

// ChainBackward maps grad, the gradient with respect to the output of the
// chain defs, back to the chain's input: it walks the chain in reverse,
// calling defs[i].Backward with inputs[i], the input defs[i] saw in the
// forward pass (as ChainForward returns them).
func ChainBackward(defs []Preprocessor, inputs []tensor.Tensor, grad tensor.Tensor) (tensor.Tensor, error) {
	if len(inputs) != len(defs) {
		return tensor.Tensor{}, fmt.Errorf("chain backward: %d inputs for %d defences", len(inputs), len(defs))
	}
	for i := len(defs) - 1; i >= 0; i-- {
		var err error
		if grad, err = defs[i].Backward(inputs[i], grad); err != nil {
			return tensor.Tensor{}, fmt.Errorf("preprocessing defence %d backward: %w", i, err)
		}
	}
	return grad, nil
}
