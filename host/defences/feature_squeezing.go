package defences

import (
	"fmt"
	"math"

	"github.com/arthost/arthost/shared/tensor"
)

// FeatureSqueezing reduces the colour bit depth (Xu et al., 2017):
//
//	x' = rint((x - min)/(max - min) * (2^b - 1)) / (2^b - 1) * (max - min) + min
//
// with rint rounding half to even and no clipping (values outside
// clip_values stay outside, as in ART). Its gradient is BPDA (identity).
type FeatureSqueezing struct {
	applyFlags
	BitDepth int
	Clip     clipRange
}

func newFeatureSqueezing(p *params, _ Defaults) Preprocessor {
	f := &FeatureSqueezing{
		applyFlags: p.flags(false, true),
		BitDepth:   p.int("bit_depth", 8),
		Clip:       p.clip("clip_values", true, false),
	}
	p.check(f.BitDepth >= 1 && f.BitDepth <= 64, "bit_depth", "want an integer in [1, 64], got %d", f.BitDepth)
	return f
}

// Name returns "feature_squeezing".
func (f *FeatureSqueezing) Name() string { return "feature_squeezing" }

func (f *FeatureSqueezing) String() string {
	return fmt.Sprintf("feature_squeezing{bit_depth: %d, clip_values: %v}", f.BitDepth, f.Clip)
}

// Forward squeezes x; y passes through.
func (f *FeatureSqueezing) Forward(x, y tensor.Tensor) (tensor.Tensor, tensor.Tensor, error) {
	if err := checkBatch(f.Name(), x, 1); err != nil {
		return tensor.Tensor{}, y, err
	}
	lo, hi, err := f.Clip.bounds(x.Shape)
	if err != nil {
		return tensor.Tensor{}, y, fmt.Errorf("%s: %w", f.Name(), err)
	}
	levels := math.RoundToEven(math.Exp2(float64(f.BitDepth)) - 1)
	v := values(x)
	m := len(lo)
	for i, xi := range v {
		a, b := lo[i%m], hi[i%m]
		v[i] = math.RoundToEven((xi-a)/(b-a)*levels)/levels*(b-a) + a
	}
	return withValues(v, x.DType, x.Shape), y, nil
}

// Backward passes grad through unchanged (BPDA).
func (f *FeatureSqueezing) Backward(x, grad tensor.Tensor) (tensor.Tensor, error) {
	return identityBackward(f.Name(), x, grad)
}
