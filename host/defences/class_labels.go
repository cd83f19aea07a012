package defences

import (
	"github.com/arthost/arthost/shared/tensor"
)

// ClassLabels replaces each row of predictions by the one-hot vector of
// that row's own argmax (the first on ties); with one output column, by 1
// where the value is above 0.5 and 0 elsewhere. ART's version sets the
// argmax column of every row in every row of a batch; this one does not.
type ClassLabels struct{ postFlags }

func newClassLabels(p *params) Postprocessor { return &ClassLabels{p.postFlags()} }

// Name returns "class_labels".
func (c *ClassLabels) Name() string { return "class_labels" }

func (c *ClassLabels) String() string { return "class_labels{}" }

// Apply returns the labels in preds' dtype.
func (c *ClassLabels) Apply(preds tensor.Tensor) (tensor.Tensor, error) {
	if err := checkPreds(c.Name(), preds); err != nil {
		return tensor.Tensor{}, err
	}
	n, k := preds.Shape[0], preds.Shape[1]
	v := make([]float64, n*k)
	for i := 0; i < n; i++ {
		if k == 1 {
			if preds.At(i) > 0.5 {
				v[i] = 1
			}
			continue
		}
		best := 0
		for j := 1; j < k; j++ {
			// NaN wins, as with numpy's argmax.
			if b := preds.At(i*k + best); preds.At(i*k+j) > b || (b == b && preds.At(i*k+j) != preds.At(i*k+j)) {
				best = j
			}
		}
		v[i*k+best] = 1
	}
	return withValues(v, preds.DType, preds.Shape), nil
}
