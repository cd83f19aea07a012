package defences

import (
	"math"
	"slices"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

func TestGaussianAugmentationAugments(t *testing.T) {
	// sigma 0: every added row is an exact copy of some original row,
	// and its label is that row's label.
	p := mustPre(t, "gaussian_augmentation", map[string]any{"sigma": 0, "ratio": 1.5})
	x := tensor.FromFloat64([]float64{0, 0, 1, 1, 2, 2, 3, 3}, 4, 2)
	y := tensor.FromInt64([]int64{10, 11, 12, 13}, 4)
	gx, gy, err := p.Forward(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gx.Shape, []int{10, 2}) || !slices.Equal(gy.Shape, []int{10}) || gy.DType != tensor.Int64 {
		t.Fatalf("shapes %v %v (%v), want [10 2] [10]", gx.Shape, gy.Shape, gy.DType)
	}
	if !slices.Equal(gx.F64[:8], x.F64) || !slices.Equal(gy.I64[:4], y.I64) {
		t.Fatal("originals not kept first")
	}
	for r := 4; r < 10; r++ {
		src := int(gx.F64[2*r])
		if gx.F64[2*r+1] != float64(src) || gy.I64[r] != int64(10+src) {
			t.Fatalf("row %d: %v label %d", r, gx.F64[2*r:2*r+2], gy.I64[r])
		}
	}
	// Labels absent stay absent; one-hot labels are gathered by row.
	_, gy, err = p.Forward(x, tensor.Tensor{})
	if err != nil || gy.DType != tensor.Invalid {
		t.Fatalf("absent labels: %v %v", gy, err)
	}
	oh := tensor.FromFloat32([]float32{1, 0, 0, 1, 1, 0, 0, 1}, 4, 2)
	gx, gy, err = p.Forward(x, oh)
	if err != nil || !slices.Equal(gy.Shape, []int{10, 2}) {
		t.Fatalf("one-hot labels: %v %v", gy.Shape, err)
	}
	for r := 4; r < 10; r++ {
		src := int(gx.F64[2*r])
		if !slices.Equal(gy.F32[2*r:2*r+2], oh.F32[2*src:2*src+2]) {
			t.Fatalf("row %d from %d: label %v", r, src, gy.F32[2*r:2*r+2])
		}
	}
	if _, _, err := p.Forward(x, tensor.FromInt64([]int64{1, 2}, 2)); err == nil {
		t.Fatal("labels for the wrong number of rows accepted")
	}
}

func TestGaussianAugmentationNoise(t *testing.T) {
	// Replacing rows: the noise x' - x has mean 0 and standard deviation
	// sigma (checked at 5 standard errors over 20000 draws).
	const sigma, n = 0.5, 20000
	p := mustPre(t, "gaussian_augmentation", map[string]any{"sigma": sigma, "augmentation": false, "apply_fit": false, "apply_predict": true})
	x := tensor.New(tensor.Float32, n, 1)
	for i := range x.F32 {
		x.F32[i] = float32(i % 7)
	}
	got := forward(t, p, x)
	if got.DType != tensor.Float32 || !slices.Equal(got.Shape, x.Shape) {
		t.Fatalf("%v %v", got.DType, got.Shape)
	}
	var sum, sq float64
	for i := range got.F32 {
		d := float64(got.F32[i] - x.F32[i])
		sum += d
		sq += d * d
	}
	mean, sd := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
	if math.Abs(mean) > 5*sigma/math.Sqrt(n) || math.Abs(sd-sigma) > 5*sigma/math.Sqrt(2*n) {
		t.Fatalf("noise mean %v sd %v, want 0 and %v", mean, sd, sigma)
	}
	// Seeded: a new defence with the same seed repeats the draw, another
	// seed does not, and the generator advances between calls.
	again := forward(t, mustPre(t, "gaussian_augmentation", map[string]any{"sigma": sigma, "augmentation": false}), x)
	other := forward(t, mustPre(t, "gaussian_augmentation", map[string]any{"sigma": sigma, "augmentation": false, "seed": 7}), x)
	next := forward(t, p, x)
	if !slices.Equal(again.F32, got.F32) || slices.Equal(other.F32, got.F32) || slices.Equal(next.F32, got.F32) {
		t.Fatal("seeding is not repeatable or not seed-dependent")
	}
}

func TestGaussianAugmentationClip(t *testing.T) {
	// ART clips the whole result, originals included.
	p := mustPre(t, "gaussian_augmentation", map[string]any{"sigma": 3, "clip_values": list(0, 1)})
	x := tensor.FromFloat64([]float64{-1, 0.5, 2}, 3, 1)
	got := forward(t, p, x)
	if got.Shape[0] != 6 || got.F64[0] != 0 || got.F64[1] != 0.5 || got.F64[2] != 1 {
		t.Fatalf("%v", got.F64)
	}
	for _, v := range got.F64 {
		if v < 0 || v > 1 {
			t.Fatalf("value %v outside clip_values", v)
		}
	}
	if out := forward(t, p, tensor.New(tensor.Float64, 0, 3)); !slices.Equal(out.Shape, []int{0, 3}) {
		t.Fatalf("empty batch gave %v", out.Shape)
	}
}
