package defences

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/arthost/arthost/shared/tensor"
)

// GaussianNoise adds N(0, scale²) noise to predictions. When every row is
// a probability vector (values in [0, 1] summing to 1 within 1e-3
// relative), negative results are set to 0 and rows renormalised; a row
// the noise made all zero becomes uniform (ART divides by zero). With one
// output column negative results are set to 0.
type GaussianNoise struct {
	postFlags
	Scale float64
	Seed  uint64
	rng   *source
}

func newGaussianNoise(p *params) Postprocessor {
	g := &GaussianNoise{postFlags: p.postFlags(), Scale: p.float("scale", 0.2), Seed: p.seed()}
	p.check(g.Scale > 0, "scale", "want a positive number, got %v", g.Scale)
	g.rng = newSource(g.Seed)
	return g
}

// Name returns "gaussian_noise".
func (g *GaussianNoise) Name() string { return "gaussian_noise" }

func (g *GaussianNoise) String() string {
	return fmt.Sprintf("gaussian_noise{scale: %v, seed: %d}", g.Scale, g.Seed)
}

// isProbability is ART's is_probability for one row.
func isProbability(row []float64) bool {
	sum := 0.0
	for _, p := range row {
		if !(p >= 0 && p <= 1) {
			return false
		}
		sum += p
	}
	return math.Abs(sum-1) <= 1e-3*max(math.Abs(sum), 1)
}

// Apply returns the noisy predictions in preds' dtype.
func (g *GaussianNoise) Apply(preds tensor.Tensor) (tensor.Tensor, error) {
	if err := checkPreds(g.Name(), preds); err != nil {
		return tensor.Tensor{}, err
	}
	n, k := preds.Shape[0], preds.Shape[1]
	v := values(preds)
	probs := true
	for i := 0; i < n && probs; i++ {
		probs = isProbability(v[i*k : (i+1)*k])
	}
	g.rng.with(func(r *rand.Rand) {
		for i := range v {
			v[i] += g.Scale * r.NormFloat64()
		}
	})
	if k == 1 || probs {
		for i := range v {
			v[i] = max(v[i], 0)
		}
	}
	if k > 1 && probs {
		for i := 0; i < n; i++ {
			row := v[i*k : (i+1)*k]
			sum := 0.0
			for _, p := range row {
				sum += p
			}
			for j := range row {
				if sum > 0 {
					row[j] /= sum
				} else {
					row[j] = 1 / float64(k)
				}
			}
		}
	}
	return withValues(v, preds.DType, preds.Shape), nil
}
