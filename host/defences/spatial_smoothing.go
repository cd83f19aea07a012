package defences

import (
	"fmt"
	"slices"

	"github.com/arthost/arthost/shared/tensor"
)

// maxWindow bounds window_size: each output value sorts window_size²
// values, and a wider window than any image side only repeats the
// mirrored border.
const maxWindow = 255

// SpatialSmoothing is a median filter over the two spatial axes of images
// (n, h, w, c) or videos (n, f, h, w, c), channels last or first (Xu et
// al., 2017). It matches scipy.ndimage.median_filter with size
// window_size on the spatial axes, 1 elsewhere, and mode "reflect": the
// window covers offsets -(w/2) .. w-1-(w/2), the border is mirrored with
// its edge repeated (d c b a | a b c d | d c b a), and for an even window
// the larger of the two middle values is taken. The result is clipped to
// clip_values when given. Its gradient is BPDA (identity).
type SpatialSmoothing struct {
	applyFlags
	WindowSize    int
	ChannelsFirst bool
	Clip          clipRange
}

func newSpatialSmoothing(p *params, d Defaults) Preprocessor {
	s := &SpatialSmoothing{
		applyFlags:    p.flags(false, true),
		WindowSize:    p.int("window_size", 3),
		ChannelsFirst: p.bool("channels_first", d.ChannelsFirst),
		Clip:          p.clip("clip_values", false, false),
	}
	p.check(s.WindowSize > 0 && s.WindowSize <= maxWindow, "window_size", "want an integer in [1, %d], got %d", maxWindow, s.WindowSize)
	return s
}

// Name returns "spatial_smoothing".
func (s *SpatialSmoothing) Name() string { return "spatial_smoothing" }

func (s *SpatialSmoothing) String() string {
	c := "none"
	if s.Clip.set {
		c = s.Clip.String()
	}
	return fmt.Sprintf("spatial_smoothing{window_size: %d, channels_first: %v, clip_values: %s}", s.WindowSize, s.ChannelsFirst, c)
}

// spatialAxes returns the two spatial axes of a 4-D or 5-D batch.
func spatialAxes(name string, shape []int, channelsFirst bool) (int, int, error) {
	ch, err := channelAxis(name, shape, channelsFirst, 4, 5)
	if err != nil {
		return 0, 0, err
	}
	var axes []int
	for a := 1; a < len(shape); a++ {
		temporal := len(shape) == 5 && ((channelsFirst && a == 2) || (!channelsFirst && a == 1))
		if a != ch && !temporal {
			axes = append(axes, a)
		}
	}
	return axes[0], axes[1], nil
}

// reflect maps index j onto [0, n) by mirroring with the edge repeated,
// periodically for windows wider than the axis (scipy's "reflect").
func reflect(j, n int) int {
	p := 2 * n
	if j %= p; j < 0 {
		j += p
	}
	if j >= n {
		j = p - 1 - j
	}
	return j
}

// Forward filters x; y passes through.
func (s *SpatialSmoothing) Forward(x, y tensor.Tensor) (tensor.Tensor, tensor.Tensor, error) {
	if err := checkBatch(s.Name(), x, 1); err != nil {
		return tensor.Tensor{}, y, err
	}
	a1, a2, err := spatialAxes(s.Name(), x.Shape, s.ChannelsFirst)
	if err != nil {
		return tensor.Tensor{}, y, err
	}
	in := values(x)
	out := make([]float64, len(in))
	strides := make([]int, len(x.Shape))
	st := 1
	for d := len(x.Shape) - 1; d >= 0; d-- {
		strides[d] = st
		st *= x.Shape[d]
	}
	h, w := x.Shape[a1], x.Shape[a2]
	s1, s2 := strides[a1], strides[a2]
	k := s.WindowSize
	lo := k / 2
	win := make([]float64, k*k)
	rank := (k * k) / 2
	for base := range in {
		if (base/s1)%h != 0 || (base/s2)%w != 0 {
			continue
		}
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				n := 0
				for di := 0; di < k; di++ {
					r := base + reflect(i-lo+di, h)*s1
					for dj := 0; dj < k; dj++ {
						win[n] = in[r+reflect(j-lo+dj, w)*s2]
						n++
					}
				}
				slices.Sort(win)
				out[base+i*s1+j*s2] = win[rank]
			}
		}
	}
	if err := s.Clip.apply(out, x.Shape); err != nil {
		return tensor.Tensor{}, y, fmt.Errorf("%s: %w", s.Name(), err)
	}
	return withValues(out, x.DType, x.Shape), y, nil
}

// Backward passes grad through unchanged (BPDA).
func (s *SpatialSmoothing) Backward(x, grad tensor.Tensor) (tensor.Tensor, error) {
	return identityBackward(s.Name(), x, grad)
}
