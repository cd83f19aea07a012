package defences

import (
	"fmt"

	"github.com/arthost/arthost/shared/tensor"
)

// LabelSmoothing softens one-hot labels (Warde-Farley and Goodfellow,
// 2016): every 1 becomes max_value and every 0 becomes
// (1 - max_value)/(k - 1) for k classes; other values are kept. x passes
// through unchanged. It needs one-hot labels of shape (n, k), k >= 2.
type LabelSmoothing struct {
	applyFlags
	MaxValue float64
}

func newLabelSmoothing(p *params, _ Defaults) Preprocessor {
	l := &LabelSmoothing{applyFlags: p.flags(true, false), MaxValue: p.float("max_value", 0.9)}
	p.check(l.MaxValue > 0 && l.MaxValue <= 1, "max_value", "want a number in (0, 1], got %v", l.MaxValue)
	return l
}

// Name returns "label_smoothing".
func (l *LabelSmoothing) Name() string { return "label_smoothing" }

func (l *LabelSmoothing) String() string {
	return fmt.Sprintf("label_smoothing{max_value: %v}", l.MaxValue)
}

// Forward returns x unchanged and the smoothed labels, as float64 unless
// y is float32.
func (l *LabelSmoothing) Forward(x, y tensor.Tensor) (tensor.Tensor, tensor.Tensor, error) {
	if y.DType == tensor.Invalid {
		return tensor.Tensor{}, y, fmt.Errorf("%s: labels are required", l.Name())
	}
	if err := y.Validate(); err != nil {
		return tensor.Tensor{}, y, fmt.Errorf("%s: labels: %w", l.Name(), err)
	}
	if len(y.Shape) != 2 || y.Shape[1] < 2 {
		return tensor.Tensor{}, y, fmt.Errorf("%s: labels of shape %v: want one-hot rows (n, k) with k >= 2", l.Name(), y.Shape)
	}
	k := y.Shape[1]
	minValue := (1 - l.MaxValue) / float64(k-1)
	if l.MaxValue < minValue {
		return tensor.Tensor{}, y, fmt.Errorf("%s: max_value %v is below the value %v it leaves the %d other classes", l.Name(), l.MaxValue, minValue, k-1)
	}
	v := make([]float64, y.Len())
	for i := range v {
		switch yi := y.At(i); yi {
		case 1:
			v[i] = l.MaxValue
		case 0:
			v[i] = minValue
		default:
			v[i] = yi
		}
	}
	d := tensor.Float64
	if y.DType == tensor.Float32 {
		d = tensor.Float32
	}
	return x, withValues(v, d, y.Shape), nil
}

// Backward passes grad through unchanged: x is not transformed.
func (l *LabelSmoothing) Backward(x, grad tensor.Tensor) (tensor.Tensor, error) {
	return identityBackward(l.Name(), x, grad)
}
