package defences

import (
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

func TestFeatureSqueezingART(t *testing.T) {
	// ART's test: arange(5), clip (0, 4), bit depth 2.
	p := mustPre(t, "feature_squeezing", map[string]any{"clip_values": list(0, 4), "bit_depth": 2})
	want := []float64{0, 4.0 / 3, 8.0 / 3, 8.0 / 3, 4}
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		x := tensor.FromFloat64([]float64{0, 1, 2, 3, 4}, 1, 5).As(d)
		got := forward(t, p, x)
		if got.DType != d {
			t.Fatalf("dtype %v, want %v", got.DType, d)
		}
		near(t, "arange(5) "+d.String(), got, []int{1, 5}, want, 1e-6)
	}
}

func TestFeatureSqueezingFixtures(t *testing.T) {
	var cases []struct {
		BitDepth   int   `json:"bit_depth"`
		ClipValues []any `json:"clip_values"`
		X, Want    array
	}
	fixture(t, "feature_squeezing", &cases)
	for _, c := range cases {
		p := mustPre(t, "feature_squeezing", map[string]any{"bit_depth": c.BitDepth, "clip_values": c.ClipValues})
		near(t, "numpy reference", forward(t, p, c.X.tensor()), c.Want.Shape, c.Want.Values, 1e-12)
	}
}

func TestFeatureSqueezingBadInput(t *testing.T) {
	p := mustPre(t, "feature_squeezing", map[string]any{"clip_values": list(list(0, 0, 0), list(1, 1, 1))})
	for name, x := range map[string]tensor.Tensor{
		"int":             tensor.FromInt64([]int64{1, 2, 3}, 1, 3),
		"no dtype":        {},
		"bad length":      {DType: tensor.Float64, Shape: []int{2, 3}, F64: []float64{1}},
		"clip mismatches": tensor.New(tensor.Float64, 2, 4),
	} {
		if _, _, err := p.Forward(x, tensor.Tensor{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
