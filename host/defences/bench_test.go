package defences

import (
	"math/rand/v2"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

// BenchmarkForward times each preprocessing defence on a batch of 8
// 32x32 RGB float32 images in [0, 1], and each postprocessor on 1024 rows
// of 10 probabilities.
func BenchmarkForward(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := tensor.New(tensor.Float32, 8, 32, 32, 3)
	for i := range x.F32 {
		x.F32[i] = rng.Float32()
	}
	clip := map[string]any{"clip_values": list(0, 1)}
	for _, c := range []struct {
		name   string
		params map[string]any
	}{
		{"feature_squeezing", clip},
		{"spatial_smoothing", nil},
		{"gaussian_augmentation", nil},
		{"jpeg_compression", clip},
		{"thermometer_encoding", clip},
		{"total_var_min", nil},
	} {
		p, err := NewPreprocessor(c.name, c.params, Defaults{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/batch=8", func(b *testing.B) {
			b.SetBytes(int64(x.Len() * 4))
			for b.Loop() {
				if _, _, err := p.Forward(x, tensor.Tensor{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	preds := tensor.New(tensor.Float32, 1024, 10)
	for i := range preds.F32 {
		preds.F32[i] = 0.1
	}
	for _, name := range []string{"class_labels", "gaussian_noise", "high_confidence", "reverse_sigmoid", "rounded"} {
		p, err := NewPostprocessor(name, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/rows=1024", func(b *testing.B) {
			for b.Loop() {
				if _, err := p.Apply(preds); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkThermometerBackward times the surrogate gradient on the same batch.
func BenchmarkThermometerBackward(b *testing.B) {
	p, err := NewPreprocessor("thermometer_encoding", map[string]any{"clip_values": list(0, 1)}, Defaults{})
	if err != nil {
		b.Fatal(err)
	}
	x := tensor.New(tensor.Float32, 8, 32, 32, 3)
	for i := range x.F32 {
		x.F32[i] = float32(i%97) / 97
	}
	g := tensor.New(tensor.Float32, 8, 32, 32, 30)
	for b.Loop() {
		if _, err := p.Backward(x, g); err != nil {
			b.Fatal(err)
		}
	}
}
