package defences

import (
	"fmt"

	"github.com/arthost/arthost/shared/tensor"
)

// checkPreds reports why preds is not a float (n, k) batch with k >= 1.
func checkPreds(name string, preds tensor.Tensor) error {
	if err := preds.Validate(); err != nil {
		return fmt.Errorf("%s: predictions: %w", name, err)
	}
	if !preds.IsFloat() {
		return fmt.Errorf("%s: predictions dtype %v: want float32 or float64", name, preds.DType)
	}
	if len(preds.Shape) != 2 || preds.Shape[1] < 1 {
		return fmt.Errorf("%s: predictions of shape %v: want (n, classes)", name, preds.Shape)
	}
	return nil
}

// postFlags holds a postprocessor's apply_predict (apply_fit is accepted
// for compatibility with ART, where it has no effect on predictions).
type postFlags struct{ predict bool }

func (p *params) postFlags() postFlags {
	p.bool("apply_fit", false)
	return postFlags{predict: p.bool("apply_predict", true)}
}

// ApplyPredict reports whether the defence is applied to predictions.
func (f postFlags) ApplyPredict() bool { return f.predict }
