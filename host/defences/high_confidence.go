package defences

import (
	"fmt"

	"github.com/arthost/arthost/shared/tensor"
)

// HighConfidence sets every prediction below cutoff to 0.
type HighConfidence struct {
	postFlags
	Cutoff float64
}

func newHighConfidence(p *params) Postprocessor {
	h := &HighConfidence{postFlags: p.postFlags(), Cutoff: p.float("cutoff", 0.25)}
	p.check(h.Cutoff > 0, "cutoff", "want a positive number, got %v", h.Cutoff)
	return h
}

// Name returns "high_confidence".
func (h *HighConfidence) Name() string { return "high_confidence" }

func (h *HighConfidence) String() string { return fmt.Sprintf("high_confidence{cutoff: %v}", h.Cutoff) }

// Apply returns the thresholded predictions in preds' dtype.
func (h *HighConfidence) Apply(preds tensor.Tensor) (tensor.Tensor, error) {
	if err := checkPreds(h.Name(), preds); err != nil {
		return tensor.Tensor{}, err
	}
	out := preds.Clone()
	cut32 := float32(h.Cutoff) // numpy compares float32 arrays in float32
	for i := range out.F32 {
		if out.F32[i] < cut32 {
			out.F32[i] = 0
		}
	}
	for i := range out.F64 {
		if out.F64[i] < h.Cutoff {
			out.F64[i] = 0
		}
	}
	return out, nil
}
