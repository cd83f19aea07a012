package defences

import (
	"fmt"
	"math"

	"github.com/arthost/arthost/shared/tensor"
)

// ReverseSigmoid perturbs probabilities (Lee et al., 2018, arXiv:1806.00054):
// with c = p clipped to [1e-9, 1-1e-9],
//
//	r = beta * (sigmoid(-gamma * log((1 - c)/c)) - 0.5)
//	q = clip(p - r, 0, 1), normalised to sum 1 per row.
//
// With one output column the perturbation is applied to p and 1 - p and the
// first normalised value is returned.
type ReverseSigmoid struct {
	postFlags
	Beta, Gamma float64
}

func newReverseSigmoid(p *params) Postprocessor {
	r := &ReverseSigmoid{postFlags: p.postFlags(), Beta: p.float("beta", 1), Gamma: p.float("gamma", 0.1)}
	p.check(r.Beta > 0, "beta", "want a positive number, got %v", r.Beta)
	p.check(r.Gamma > 0, "gamma", "want a positive number, got %v", r.Gamma)
	return r
}

// Name returns "reverse_sigmoid".
func (r *ReverseSigmoid) Name() string { return "reverse_sigmoid" }

func (r *ReverseSigmoid) String() string {
	return fmt.Sprintf("reverse_sigmoid{beta: %v, gamma: %v}", r.Beta, r.Gamma)
}

// clipEps keeps log((1 - p)/p) finite.
const clipEps = 1e-9

func clipProb(p float64) float64 { return min(max(p, clipEps), 1-clipEps) }

// perturbed returns clip(p - r(c), 0, 1) for p and its clipped value c.
func (r *ReverseSigmoid) perturbed(p, c float64) float64 {
	z := -r.Gamma * math.Log((1-c)/c)
	pert := r.Beta * (1/(1+math.Exp(-z)) - 0.5)
	return min(max(p-pert, 0), 1)
}

// Apply returns the perturbed predictions in preds' dtype.
func (r *ReverseSigmoid) Apply(preds tensor.Tensor) (tensor.Tensor, error) {
	if err := checkPreds(r.Name(), preds); err != nil {
		return tensor.Tensor{}, err
	}
	n, k := preds.Shape[0], preds.Shape[1]
	v := values(preds)
	for i := 0; i < n; i++ {
		row := v[i*k : (i+1)*k]
		if k == 1 {
			// As ART: the second class's clipped value is 1 - clip(p).
			c := clipProb(row[0])
			a, b := r.perturbed(row[0], c), r.perturbed(1-row[0], 1-c)
			row[0] = a / (a + b)
			continue
		}
		sum := 0.0
		for j, p := range row {
			row[j] = r.perturbed(p, clipProb(p))
			sum += row[j]
		}
		for j := range row {
			row[j] /= sum
		}
	}
	return withValues(v, preds.DType, preds.Shape), nil
}
