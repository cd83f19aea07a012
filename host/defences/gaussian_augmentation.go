package defences

import (
	"fmt"
	"math/rand/v2"

	"github.com/arthost/arthost/shared/tensor"
)

// GaussianAugmentation adds Gaussian noise of standard deviation sigma
// (Zantedeschi et al., 2017). With augmentation (the default, fit only)
// it appends int(n * ratio) noisy copies of rows drawn uniformly with
// replacement, and their labels; without, it replaces every row by a
// noisy copy. The whole result is clipped to clip_values when given. Its
// gradient is BPDA (identity), defined only when the batch keeps its size.
type GaussianAugmentation struct {
	applyFlags
	Sigma        float64
	Augmentation bool
	Ratio        float64
	Clip         clipRange
	Seed         uint64
	rng          *source
}

func newGaussianAugmentation(p *params, _ Defaults) Preprocessor {
	g := &GaussianAugmentation{
		Sigma:        p.float("sigma", 1),
		Augmentation: p.bool("augmentation", true),
		Ratio:        p.float("ratio", 1),
		Clip:         p.clip("clip_values", false, false),
		Seed:         p.seed(),
	}
	g.applyFlags = p.flags(true, false)
	p.check(g.Sigma >= 0, "sigma", "want a non-negative number, got %v", g.Sigma)
	if g.Augmentation {
		p.check(g.Ratio > 0, "ratio", "want a positive number with augmentation, got %v", g.Ratio)
		p.check(g.fit || !g.predict, "apply_predict", "with augmentation, apply_fit must be true and apply_predict false")
		p.check(g.fit || g.predict, "apply_fit", "with augmentation, apply_fit and apply_predict cannot both be false")
	}
	g.rng = newSource(g.Seed)
	return g
}

// Name returns "gaussian_augmentation".
func (g *GaussianAugmentation) Name() string { return "gaussian_augmentation" }

func (g *GaussianAugmentation) String() string {
	return fmt.Sprintf("gaussian_augmentation{sigma: %v, augmentation: %v, ratio: %v, seed: %d}", g.Sigma, g.Augmentation, g.Ratio, g.Seed)
}

// Forward adds the noise. With augmentation the result has n + int(n*ratio)
// rows, and so do the labels when given.
func (g *GaussianAugmentation) Forward(x, y tensor.Tensor) (tensor.Tensor, tensor.Tensor, error) {
	if err := checkBatch(g.Name(), x, 1); err != nil {
		return tensor.Tensor{}, y, err
	}
	n := x.Shape[0]
	hasY := y.DType != tensor.Invalid
	if hasY {
		if err := y.Validate(); err != nil || len(y.Shape) == 0 || y.Shape[0] != n {
			return tensor.Tensor{}, y, fmt.Errorf("%s: labels of shape %v for %d samples", g.Name(), y.Shape, n)
		}
	}
	row := tensor.NumElements(x.Shape[1:])
	v := values(x)
	var outY tensor.Tensor = y
	rows := n
	if g.Augmentation {
		extraRows := float64(n) * g.Ratio
		if extraRows > float64(tensor.MaxElements/max(row, 1)-n) {
			return tensor.Tensor{}, y, fmt.Errorf("%s: ratio %v makes %v extra rows of %d values, too many", g.Name(), g.Ratio, extraRows, row)
		}
		size := int(extraRows)
		idx := make([]int, size)
		extra := make([]float64, size*row)
		g.rng.with(func(r *rand.Rand) {
			for i := range idx {
				idx[i] = r.IntN(n)
			}
			for i, src := range idx {
				for j := 0; j < row; j++ {
					extra[i*row+j] = v[src*row+j] + g.Sigma*r.NormFloat64()
				}
			}
		})
		v = append(v, extra...)
		rows += size
		if hasY {
			parts := []tensor.Tensor{y}
			for _, src := range idx {
				parts = append(parts, y.Slice(src, src+1))
			}
			var err error
			if outY, err = tensor.Concat(parts); err != nil {
				return tensor.Tensor{}, y, fmt.Errorf("%s: labels: %w", g.Name(), err)
			}
		}
	} else {
		g.rng.with(func(r *rand.Rand) {
			for i := range v {
				v[i] += g.Sigma * r.NormFloat64()
			}
		})
	}
	shape := append([]int{rows}, x.Shape[1:]...)
	if err := g.Clip.apply(v, shape); err != nil {
		return tensor.Tensor{}, y, fmt.Errorf("%s: %w", g.Name(), err)
	}
	return withValues(v, x.DType, shape), outY, nil
}

// Backward passes grad through unchanged (BPDA); grad must have x's shape.
func (g *GaussianAugmentation) Backward(x, grad tensor.Tensor) (tensor.Tensor, error) {
	return identityBackward(g.Name(), x, grad)
}
