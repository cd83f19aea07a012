package defences

import (
	"math"
	"slices"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

// transpose moves axis 3 of a 4-D tensor to position 1 (NHWC -> NCHW).
func toChannelsFirst(x tensor.Tensor) tensor.Tensor {
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	out := make([]float64, x.Len())
	for a := 0; a < n; a++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				for k := 0; k < c; k++ {
					out[((a*c+k)*h+i)*w+j] = x.At(((a*h+i)*w+j)*c + k)
				}
			}
		}
	}
	return withValues(out, x.DType, []int{n, c, h, w})
}

func TestJpegCompressionPIL(t *testing.T) {
	// Go's codec is not libjpeg: with libjpeg's chroma upsampling and
	// colour conversion the two agree to about one grey level on average,
	// far closer than either is to the input.
	var cases []struct {
		Quality int
		X, Want array
	}
	fixture(t, "jpeg_compression", &cases)
	for _, c := range cases {
		p := mustPre(t, "jpeg_compression", map[string]any{"quality": c.Quality, "clip_values": list(0, 1)})
		x := c.X.tensor()
		got := forward(t, p, x)
		if !slices.Equal(got.Shape, x.Shape) || got.DType != tensor.Float64 {
			t.Fatalf("shape %v dtype %v", got.Shape, got.DType)
		}
		var diff, maxDiff, loss float64
		for i := range got.F64 {
			if v := got.F64[i] * 255; v != math.Round(v) {
				t.Fatalf("value %v is not a multiple of 1/255", got.F64[i])
			}
			d := math.Abs(got.F64[i] - c.Want.Values[i])
			diff += d
			maxDiff = max(maxDiff, d)
			loss += math.Abs(c.X.Values[i] - c.Want.Values[i])
		}
		diff /= float64(len(got.F64))
		loss /= float64(len(got.F64))
		t.Logf("quality %d, %d channels: mean |go - pil| %.2f/255, max %.0f/255; mean |pil - x| %.2f/255",
			c.Quality, x.Shape[3], diff*255, maxDiff*255, loss*255)
		if diff > 1.0/255 || maxDiff > 8.0/255 || diff > loss/2 {
			t.Errorf("quality %d: Go and PIL differ by %v on average, %v at most", c.Quality, diff, maxDiff)
		}

		// Channels first gives the transposed result; float32 and the
		// [0, 255] range give the same bytes.
		pf := mustPre(t, "jpeg_compression", map[string]any{"quality": c.Quality, "clip_values": list(0, 1), "channels_first": true})
		near(t, "channels first", forward(t, pf, toChannelsFirst(x)), toChannelsFirst(got).Shape, toChannelsFirst(got).F64, 0)
		got32 := forward(t, p, x.As(tensor.Float32))
		near(t, "float32", got32, got.Shape, got.F64, 1e-7)
		x255 := values(x)
		for i := range x255 {
			x255[i] = math.Floor(x255[i] * 255)
		}
		p255 := mustPre(t, "jpeg_compression", map[string]any{"quality": c.Quality, "clip_values": list(0, 255)})
		g255 := forward(t, p255, tensor.FromFloat64(x255, x.Shape...))
		for i := range g255.F64 {
			if g255.F64[i] != got.F64[i]*255 {
				t.Fatalf("[0, 255] element %d: %v, want %v", i, g255.F64[i], got.F64[i]*255)
			}
		}
	}
}

func TestJpegCompressionQuality(t *testing.T) {
	// Higher quality loses less, and a constant grey image survives.
	var cases []struct {
		Quality int
		X, Want array
	}
	fixture(t, "jpeg_compression", &cases)
	x := cases[0].X.tensor()
	errAt := func(q int) float64 {
		p := mustPre(t, "jpeg_compression", map[string]any{"quality": q, "clip_values": list(0, 1)})
		got, s := forward(t, p, x), 0.0
		for i := range got.F64 {
			s += math.Abs(got.F64[i] - x.F64[i])
		}
		return s / float64(len(got.F64))
	}
	if e10, e50, e95 := errAt(10), errAt(50), errAt(95); !(e10 > e50 && e50 > e95) {
		t.Fatalf("errors at quality 10, 50, 95: %v %v %v", e10, e50, e95)
	}
	p := mustPre(t, "jpeg_compression", map[string]any{"clip_values": list(0, 255)})
	grey := tensor.New(tensor.Float64, 1, 2, 9, 7, 4) // a video, 4 channels
	for i := range grey.F64 {
		grey.F64[i] = 128
	}
	near(t, "constant", forward(t, p, grey), grey.Shape, grey.F64, 0)
}

func TestJpegCompressionBadInput(t *testing.T) {
	p := mustPre(t, "jpeg_compression", map[string]any{"clip_values": list(0, 1)})
	neg := tensor.New(tensor.Float64, 1, 2, 2, 3)
	neg.F64[5] = -0.1
	nan := tensor.New(tensor.Float64, 1, 2, 2, 3)
	nan.F64[1] = math.NaN()
	for name, x := range map[string]tensor.Tensor{
		"negative": neg, "nan": nan, "rank 3": tensor.New(tensor.Float64, 1, 2, 2),
		"too wide": tensor.New(tensor.Float64, 1, 1, 70000, 1),
	} {
		if _, _, err := p.Forward(x, tensor.Tensor{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if out := forward(t, p, tensor.New(tensor.Float32, 0, 4, 4, 3)); !slices.Equal(out.Shape, []int{0, 4, 4, 3}) {
		t.Fatalf("empty batch: %v", out.Shape)
	}
}
