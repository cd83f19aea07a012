package defences

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"

	"github.com/arthost/arthost/shared/tensor"
)

// maxJpegSide is the largest image side a baseline JPEG can hold.
const maxJpegSide = 1<<16 - 1

// JpegCompression round-trips every image through JPEG at the given quality
// (Dziugaite et al., 2016; Das et al., 2017), with Go's image/jpeg. Images
// (n, h, w, c) or videos (n, f, h, w, c), channels last or first, with
// values in [0, 1] or [0, 255] as clip_values says. Values are scaled to
// 0..255 and truncated to bytes (above 255 saturates); three channels are
// compressed as one colour image (decoded with libjpeg's upsampling and
// colour conversion, see jpeg_colour.go), any other number channel by
// channel as grey images. Its gradient is BPDA (identity).
type JpegCompression struct {
	applyFlags
	Quality       int
	ChannelsFirst bool
	Max           float64 // 1 or 255; the minimum is 0
}

func newJpegCompression(p *params, d Defaults) Preprocessor {
	j := &JpegCompression{
		applyFlags:    p.flags(true, true),
		Quality:       p.int("quality", 50),
		ChannelsFirst: p.bool("channels_first", d.ChannelsFirst),
	}
	p.bool("verbose", false)
	p.check(j.Quality > 0 && j.Quality <= 100, "quality", "want an integer in [1, 100], got %d", j.Quality)
	if c := p.clip("clip_values", true, true); c.set {
		j.Max = c.hi.v[0]
		p.check(c.lo.v[0] == 0, "clip_values", "min must be 0, got %v", c.lo.v[0])
		p.check(j.Max == 1 || j.Max == 255, "clip_values", "max must be 1 or 255, got %v", j.Max)
	}
	return j
}

// Name returns "jpeg_compression".
func (j *JpegCompression) Name() string { return "jpeg_compression" }

func (j *JpegCompression) String() string {
	return fmt.Sprintf("jpeg_compression{quality: %d, channels_first: %v, clip_values: [0, %v]}", j.Quality, j.ChannelsFirst, j.Max)
}

// axes returns the strides of the frame, row, column and channel axes and
// their sizes; a 4-D batch has one frame per sample.
func (j *JpegCompression) axes(shape []int) (frames, h, w, c int, sf, sh, sw, sc int, err error) {
	if _, err = channelAxis(j.Name(), shape, j.ChannelsFirst, 4, 5); err != nil {
		return
	}
	strides := make([]int, len(shape))
	st := 1
	for d := len(shape) - 1; d >= 0; d-- {
		strides[d] = st
		st *= shape[d]
	}
	var order []int // frame, row, column, channel axes
	switch {
	case len(shape) == 4 && !j.ChannelsFirst:
		order = []int{0, 1, 2, 3}
	case len(shape) == 4:
		order = []int{0, 2, 3, 1}
	case !j.ChannelsFirst:
		order = []int{1, 2, 3, 4}
	default:
		order = []int{2, 3, 4, 1}
	}
	frames, sf = 1, 0
	if len(shape) == 5 {
		frames, sf = shape[order[0]], strides[order[0]]
	}
	h, w, c = shape[order[1]], shape[order[2]], shape[order[3]]
	sh, sw, sc = strides[order[1]], strides[order[2]], strides[order[3]]
	if h > maxJpegSide || w > maxJpegSide {
		err = fmt.Errorf("%s: images of %dx%d exceed the JPEG limit of %d", j.Name(), h, w, maxJpegSide)
	}
	return
}

// toByte scales one value to 0..255 in the input's precision and truncates.
func (j *JpegCompression) toByte(x float64, f32 bool) uint8 {
	if j.Max == 1 {
		if f32 {
			x = float64(float32(x) * 255)
		} else {
			x *= 255
		}
	}
	return uint8(min(math.Trunc(x), 255))
}

// Forward compresses x; y passes through.
func (j *JpegCompression) Forward(x, y tensor.Tensor) (tensor.Tensor, tensor.Tensor, error) {
	if err := checkBatch(j.Name(), x, 1); err != nil {
		return tensor.Tensor{}, y, err
	}
	frames, h, w, c, sf, sh, sw, sc, err := j.axes(x.Shape)
	if err != nil {
		return tensor.Tensor{}, y, err
	}
	in := values(x)
	for i, v := range in {
		if !(v >= 0) {
			return tensor.Tensor{}, y, fmt.Errorf("%s: input element %v is %v: want values in [0, %v], not normalised ones", j.Name(), x.Index(i), v, j.Max)
		}
	}
	out := make([]float64, len(in))
	if len(in) == 0 {
		return withValues(out, x.DType, x.Shape), y, nil
	}
	sn := tensor.NumElements(x.Shape[1:])
	f32 := x.DType == tensor.Float32
	// pixel returns the flat index of (row, column, channel) in one frame.
	for n := 0; n < x.Shape[0]; n++ {
		for f := 0; f < frames; f++ {
			base := n*sn + f*sf
			pixel := func(r, col, ch int) int { return base + r*sh + col*sw + ch*sc }
			var err error
			if c == 3 {
				err = j.colour(in, out, h, w, pixel, f32)
			} else {
				for ch := 0; ch < c && err == nil; ch++ {
					err = j.grey(in, out, h, w, ch, pixel, f32)
				}
			}
			if err != nil {
				return tensor.Tensor{}, y, fmt.Errorf("%s: sample %d: %w", j.Name(), n, err)
			}
		}
	}
	return withValues(out, x.DType, x.Shape), y, nil
}

// roundTrip encodes img at the quality and decodes it.
func (j *JpegCompression) roundTrip(img image.Image) (image.Image, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: j.Quality}); err != nil {
		return nil, err
	}
	return jpeg.Decode(&buf)
}

func (j *JpegCompression) scaleBack(b uint8) float64 {
	if j.Max == 1 {
		return float64(b) / 255
	}
	return float64(b)
}

func (j *JpegCompression) colour(in, out []float64, h, w int, pixel func(r, c, ch int) int, f32 bool) error {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			img.SetRGBA(c, r, color.RGBA{j.toByte(in[pixel(r, c, 0)], f32), j.toByte(in[pixel(r, c, 1)], f32), j.toByte(in[pixel(r, c, 2)], f32), 255})
		}
	}
	dec, err := j.roundTrip(img)
	if err != nil {
		return err
	}
	rgb := decodedRGB(dec)
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			for ch := 0; ch < 3; ch++ {
				out[pixel(r, c, ch)] = j.scaleBack(rgb[3*(r*w+c)+ch])
			}
		}
	}
	return nil
}

func (j *JpegCompression) grey(in, out []float64, h, w, ch int, pixel func(r, c, ch int) int, f32 bool) error {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			img.SetGray(c, r, color.Gray{j.toByte(in[pixel(r, c, ch)], f32)})
		}
	}
	dec, err := j.roundTrip(img)
	if err != nil {
		return err
	}
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			out[pixel(r, c, ch)] = j.scaleBack(color.GrayModel.Convert(dec.At(c, r)).(color.Gray).Y)
		}
	}
	return nil
}

// Backward passes grad through unchanged (BPDA).
func (j *JpegCompression) Backward(x, grad tensor.Tensor) (tensor.Tensor, error) {
	return identityBackward(j.Name(), x, grad)
}
