package defences

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

// FuzzDefences feeds arbitrary parameters (a JSON object, as a config
// file decodes to) and arbitrary batches to every defence: construction
// either fails or gives a defence whose Forward, Backward and Apply return
// an error or a result of the documented shape, and never panic.
func FuzzDefences(f *testing.F) {
	f.Add(uint8(0), []byte(`{"clip_values":[0,1],"bit_depth":3}`), []byte{2, 3, 4, 3}, []byte{1, 200, 30})
	f.Add(uint8(1), []byte(`{"window_size":4,"channels_first":true}`), []byte{1, 3, 5, 4}, []byte{9, 8, 7})
	f.Add(uint8(2), []byte(`{"ratio":2.5,"clip_values":[[0,0,0],[1,1,1]]}`), []byte{2, 3}, []byte{5})
	f.Add(uint8(3), []byte(`{"max_value":0.5}`), []byte{2, 3}, []byte{1})
	f.Add(uint8(4), []byte(`{"clip_values":[0,255],"quality":7}`), []byte{1, 2, 9, 17, 3}, []byte{255, 0})
	f.Add(uint8(5), []byte(`{"clip_values":[-1,1],"num_space":3}`), []byte{2, 2, 2}, []byte{0, 99})
	f.Add(uint8(6), []byte(`{"max_iter":2,"norm":1}`), []byte{1, 4, 4, 2}, []byte{3, 1, 4, 1, 5})
	f.Add(uint8(7), []byte(`{}`), []byte{3, 4}, []byte{1, 2, 3})
	f.Add(uint8(8), []byte(`{"scale":0.1}`), []byte{3, 1}, []byte{128})
	f.Add(uint8(10), []byte(`{"beta":2,"gamma":0.5}`), []byte{2, 2}, []byte{0, 255})
	f.Add(uint8(11), []byte(`{"decimals":2}`), []byte{1, 3}, []byte{77})
	pre := []string{"feature_squeezing", "spatial_smoothing", "gaussian_augmentation", "label_smoothing",
		"jpeg_compression", "thermometer_encoding", "total_var_min"}
	post := []string{"class_labels", "gaussian_noise", "high_confidence", "reverse_sigmoid", "rounded"}
	f.Fuzz(func(t *testing.T, which uint8, rawParams, dims, data []byte) {
		var params map[string]any
		if json.Unmarshal(rawParams, &params) != nil {
			return
		}
		if len(dims) > 5 {
			dims = dims[:5]
		}
		shape := make([]int, len(dims))
		for i, d := range dims {
			shape[i] = int(d % 9)
		}
		if tensor.NumElements(shape) > 4096 {
			return
		}
		// Keep the fuzzer's iterations quick.
		if v, ok := params["max_iter"].(float64); ok && v > 20 {
			return
		}
		x := tensor.New(tensor.Float64, shape...)
		for i := range x.F64 {
			if len(data) > 0 {
				b := data[i%len(data)]
				x.F64[i] = float64(b) / 200
				if b == 255 {
					x.F64[i] = math.NaN()
				}
			}
		}
		i := int(which) % (len(pre) + len(post))
		if i >= len(pre) {
			p, err := NewPostprocessor(post[i-len(pre)], params)
			if err != nil {
				return
			}
			if out, err := p.Apply(x); err == nil && out.Validate() != nil {
				t.Fatalf("%s: invalid output %v", p.Name(), out.Shape)
			}
			return
		}
		p, err := NewPreprocessor(pre[i], params, Defaults{})
		if err != nil {
			return
		}
		y := tensor.Tensor{}
		if len(shape) > 0 {
			y = tensor.New(tensor.Float64, shape[0], 3)
		}
		out, _, err := p.Forward(x, y)
		if err != nil {
			return
		}
		if out.Validate() != nil || out.DType != x.DType {
			t.Fatalf("%s: invalid output %v %v", p.Name(), out.DType, out.Shape)
		}
		g, err := p.Backward(x, out)
		if err == nil && !equalShape(g.Shape, x.Shape) {
			t.Fatalf("%s: gradient shape %v for input %v", p.Name(), g.Shape, x.Shape)
		}
		p.Backward(x, x)
		p.Backward(out, x)
	})
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
