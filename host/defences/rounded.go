package defences

import (
	"fmt"
	"math"

	"github.com/arthost/arthost/shared/tensor"
)

// Rounded rounds predictions to decimals places, half to even, as
// numpy.around does: rint(x * 10^d) / 10^d, computed in the dtype of the
// predictions.
type Rounded struct {
	postFlags
	Decimals int
}

func newRounded(p *params) Postprocessor {
	r := &Rounded{postFlags: p.postFlags(), Decimals: p.int("decimals", 3)}
	p.check(r.Decimals > 0 && r.Decimals <= 300, "decimals", "want a positive integer (at most 300), got %d", r.Decimals)
	return r
}

// Name returns "rounded".
func (r *Rounded) Name() string { return "rounded" }

func (r *Rounded) String() string { return fmt.Sprintf("rounded{decimals: %d}", r.Decimals) }

// Apply returns the rounded predictions in preds' dtype.
func (r *Rounded) Apply(preds tensor.Tensor) (tensor.Tensor, error) {
	if err := checkPreds(r.Name(), preds); err != nil {
		return tensor.Tensor{}, err
	}
	scale := math.Pow(10, float64(r.Decimals))
	out := preds.Clone()
	s32 := float32(scale)
	for i, x := range out.F32 {
		out.F32[i] = float32(math.RoundToEven(float64(x*s32))) / s32
	}
	for i, x := range out.F64 {
		out.F64[i] = math.RoundToEven(x*scale) / scale
	}
	return out, nil
}
