package defences

import (
	"fmt"

	"github.com/arthost/arthost/shared/tensor"
)

// ThermometerEncoding encodes every value as num_space levels along the
// channel axis (Buckman et al., 2018). With u = (clip(x) - min)/(max - min),
// channel c becomes the num_space channels c*num_space + k, k = 0 ..
// num_space-1, each 1 when k = 0 or u > k/num_space and 0 otherwise, so the
// channel axis grows num_space times. u is computed, and compared, in the
// input's precision as numpy does.
//
// Backward is the exact gradient of the differentiable surrogate ART's
// estimate_gradient uses (Athalye et al., 2018),
//
//	s_k(x) = min(max(n(x) - k/num_space, 0), 1),  n(x) = (x - min)/(max - min),
//
// so dL/dx = sum over k with 0 < n(x) - k/num_space <= 1 of dL/ds_k / (max - min),
// taking the left derivative at the kink n(x) - k/num_space = 1 (the top of
// the range), so that for x within clip_values this is ART's mask
// n(x) > k/num_space.
type ThermometerEncoding struct {
	applyFlags
	NumSpace      int
	ChannelsFirst bool
	Min, Max      float64
}

func newThermometerEncoding(p *params, d Defaults) Preprocessor {
	t := &ThermometerEncoding{
		applyFlags:    p.flags(true, true),
		NumSpace:      p.int("num_space", 10),
		ChannelsFirst: p.bool("channels_first", d.ChannelsFirst),
	}
	if c := p.clip("clip_values", true, true); c.set {
		t.Min, t.Max = c.lo.v[0], c.hi.v[0]
	}
	p.check(t.NumSpace > 0 && t.NumSpace <= 1<<16, "num_space", "want a positive integer (at most 65536), got %d", t.NumSpace)
	return t
}

// Name returns "thermometer_encoding".
func (t *ThermometerEncoding) Name() string { return "thermometer_encoding" }

func (t *ThermometerEncoding) String() string {
	return fmt.Sprintf("thermometer_encoding{num_space: %d, channels_first: %v, clip_values: [%v, %v]}", t.NumSpace, t.ChannelsFirst, t.Min, t.Max)
}

// layout returns the sizes around the channel axis and the output shape.
func (t *ThermometerEncoding) layout(shape []int) (outer, c, inner int, out []int, err error) {
	a, err := channelAxis(t.Name(), shape, t.ChannelsFirst, 2, 1<<30)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	outer, c, inner = tensor.NumElements(shape[:a]), shape[a], tensor.NumElements(shape[a+1:])
	if c > tensor.MaxElements/t.NumSpace || outer*c*inner > tensor.MaxElements/t.NumSpace {
		return 0, 0, 0, nil, fmt.Errorf("%s: input shape %v encoded with %d levels is too large", t.Name(), shape, t.NumSpace)
	}
	out = append([]int(nil), shape...)
	out[a] = c * t.NumSpace
	return outer, c, inner, out, nil
}

// levels writes 1 at dst[k*stride] for every level k that value x lights.
func (t *ThermometerEncoding) levels(x float64, f32 bool, dst []float64, stride int) {
	x = min(max(x, t.Min), t.Max)
	ns := t.NumSpace
	if f32 {
		u := (float32(x) - float32(t.Min)) / float32(t.Max-t.Min)
		for k := 0; k < ns; k++ {
			if k == 0 || u > float32(float64(k)/float64(ns)) {
				dst[k*stride] = 1
			}
		}
		return
	}
	u := (x - t.Min) / (t.Max - t.Min)
	for k := 0; k < ns; k++ {
		if k == 0 || u > float64(k)/float64(ns) {
			dst[k*stride] = 1
		}
	}
}

// Forward encodes x; y passes through.
func (t *ThermometerEncoding) Forward(x, y tensor.Tensor) (tensor.Tensor, tensor.Tensor, error) {
	if err := checkBatch(t.Name(), x, 2); err != nil {
		return tensor.Tensor{}, y, err
	}
	outer, c, inner, shape, err := t.layout(x.Shape)
	if err != nil {
		return tensor.Tensor{}, y, err
	}
	ns := t.NumSpace
	out := make([]float64, outer*c*ns*inner)
	f32 := x.DType == tensor.Float32
	for o := 0; o < outer; o++ {
		for ch := 0; ch < c; ch++ {
			for i := 0; i < inner; i++ {
				t.levels(x.At((o*c+ch)*inner+i), f32, out[((o*c+ch)*ns)*inner+i:], inner)
			}
		}
	}
	return withValues(out, x.DType, shape), y, nil
}

// Backward returns the surrogate's vector-Jacobian product at x.
func (t *ThermometerEncoding) Backward(x, grad tensor.Tensor) (tensor.Tensor, error) {
	if err := checkBatch(t.Name(), x, 2); err != nil {
		return tensor.Tensor{}, err
	}
	outer, c, inner, shape, err := t.layout(x.Shape)
	if err != nil {
		return tensor.Tensor{}, err
	}
	ns, width := t.NumSpace, t.Max-t.Min
	return backward(t.Name(), x, grad, shape[1:], func(g []float64) []float64 {
		res := make([]float64, outer*c*inner)
		for o := 0; o < outer; o++ {
			for ch := 0; ch < c; ch++ {
				for i := 0; i < inner; i++ {
					j := (o*c+ch)*inner + i
					u := (x.At(j) - t.Min) / width
					sum := 0.0
					for k := 0; k < ns; k++ {
						if d := u - float64(k)/float64(ns); d > 0 && d <= 1 {
							sum += g[((o*c+ch)*ns+k)*inner+i]
						}
					}
					res[j] = sum / width
				}
			}
		}
		return res
	})
}
