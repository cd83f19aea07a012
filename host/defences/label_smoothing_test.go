package defences

import (
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

func TestLabelSmoothing(t *testing.T) {
	p := mustPre(t, "label_smoothing", map[string]any{"max_value": 0.7})
	x := tensor.FromFloat64([]float64{3, 4}, 2, 1)
	y := tensor.FromInt64([]int64{0, 1, 0, 0, 0, 0, 0, 1}, 2, 4)
	gx, gy, err := p.Forward(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if gx.F64[0] != 3 || gx.F64[1] != 4 {
		t.Fatal("x changed")
	}
	const lo = 0.3 / 3
	near(t, "smoothed", gy, []int{2, 4}, []float64{lo, 0.7, lo, lo, lo, lo, lo, 0.7}, 1e-15)
	if gy.DType != tensor.Float64 {
		t.Fatalf("dtype %v", gy.DType)
	}
	// Soft values other than 0 and 1 are kept, float32 stays float32.
	_, gy, err = p.Forward(x, tensor.FromFloat32([]float32{0.5, 0.5, 1, 0}, 2, 2))
	if err != nil || gy.DType != tensor.Float32 {
		t.Fatal(err, gy.DType)
	}
	near(t, "soft", gy, []int{2, 2}, []float64{0.5, 0.5, 0.7, 0.3}, 1e-7)

	for name, y := range map[string]tensor.Tensor{
		"absent":        {},
		"indices":       tensor.FromInt64([]int64{1, 2}, 2),
		"one class":     tensor.FromFloat64([]float64{1, 1}, 2, 1),
		"invalid":       {DType: tensor.Float64, Shape: []int{2, 2}},
		"max too small": tensor.FromFloat64(make([]float64, 20), 2, 10),
	} {
		q := p
		if name == "max too small" {
			q = mustPre(t, "label_smoothing", map[string]any{"max_value": 0.05})
		}
		if _, _, err := q.Forward(x, y); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
