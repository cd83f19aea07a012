package defences

import (
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

func TestSpatialSmoothingScipy(t *testing.T) {
	var cases []struct {
		WindowSize    int   `json:"window_size"`
		ChannelsFirst bool  `json:"channels_first"`
		ClipValues    []any `json:"clip_values"`
		X, Want       array
	}
	fixture(t, "spatial_smoothing", &cases)
	for _, c := range cases {
		params := map[string]any{"window_size": c.WindowSize, "channels_first": c.ChannelsFirst}
		if c.ClipValues != nil {
			params["clip_values"] = c.ClipValues
		}
		p := mustPre(t, "spatial_smoothing", params)
		near(t, "scipy median_filter", forward(t, p, c.X.tensor()), c.Want.Shape, c.Want.Values, 0)
		got32 := forward(t, p, c.X.tensor().As(tensor.Float32))
		if got32.DType != tensor.Float32 {
			t.Fatalf("float32 input gave %v", got32.DType)
		}
		near(t, "float32", got32, c.Want.Shape, c.Want.Values, 1e-6)
	}
}

func TestSpatialSmoothingChannelsFirstDefault(t *testing.T) {
	// The model's channels_first is the default; the parameter overrides it.
	p, err := NewPreprocessor("spatial_smoothing", nil, Defaults{ChannelsFirst: true})
	if err != nil {
		t.Fatal(err)
	}
	if !p.(*SpatialSmoothing).ChannelsFirst {
		t.Fatal("channels_first did not default to the model's")
	}
	p, _ = NewPreprocessor("spatial_smoothing", map[string]any{"channels_first": false}, Defaults{ChannelsFirst: true})
	if p.(*SpatialSmoothing).ChannelsFirst {
		t.Fatal("channels_first parameter ignored")
	}
}

func TestSpatialSmoothingBadRank(t *testing.T) {
	p := mustPre(t, "spatial_smoothing", nil)
	for _, shape := range [][]int{{4}, {2, 3}, {2, 3, 3}, {1, 1, 1, 1, 1, 1}} {
		if _, _, err := p.Forward(tensor.New(tensor.Float64, shape...), tensor.Tensor{}); err == nil {
			t.Errorf("shape %v: no error", shape)
		}
	}
}

func TestReflect(t *testing.T) {
	// scipy "reflect": d c b a | a b c d | d c b a.
	for j, want := range map[int]int{-5: 3, -4: 3, -1: 0, 0: 0, 3: 3, 4: 3, 5: 2, 7: 0, 8: 0, 12: 3} {
		if got := reflect(j, 4); got != want {
			t.Errorf("reflect(%d, 4) = %d, want %d", j, got, want)
		}
	}
	if reflect(-3, 1) != 0 || reflect(2, 1) != 0 {
		t.Error("reflect on a single element")
	}
}
