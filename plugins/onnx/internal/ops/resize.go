package ops

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

func resizeDefs() []*Def {
	return []*Def{{Op: "Resize", MinOpset: 10, Build: buildResize}}
}

// ResizeKernel resamples with nearest or (multi)linear interpolation, one
// axis at a time (both are separable).
type ResizeKernel struct {
	n           *Node
	Mode        string
	Coord       string
	Nearest     string
	Extrapolate float32
	Axes        []int
}

func buildResize(n *Node) (Kernel, error) {
	k := &ResizeKernel{n: n, Mode: n.Attrs.String("mode", "nearest"),
		Coord:       n.Attrs.String("coordinate_transformation_mode", "half_pixel"),
		Nearest:     n.Attrs.String("nearest_mode", "round_prefer_floor"),
		Extrapolate: n.Attrs.Float("extrapolation_value", 0), Axes: n.Attrs.Ints("axes")}
	if n.Opset < 11 {
		k.Coord, k.Nearest = "asymmetric", "floor"
	}
	if k.Mode != "nearest" && k.Mode != "linear" {
		return nil, n.Errorf("mode %q is not supported (nearest, linear)", k.Mode)
	}
	switch k.Coord {
	case "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize":
	default:
		return nil, n.Errorf("coordinate_transformation_mode %q is not supported", k.Coord)
	}
	switch k.Nearest {
	case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
	default:
		return nil, n.Errorf("nearest_mode %q is not supported", k.Nearest)
	}
	if n.Attrs.Int("antialias", 0) != 0 {
		return nil, n.Errorf("antialias=1 is not supported")
	}
	if p := n.Attrs.String("keep_aspect_ratio_policy", "stretch"); p != "stretch" {
		return nil, n.Errorf("keep_aspect_ratio_policy %q is not supported", p)
	}
	return k, n.Attrs.Err()
}

// inputs returns the per-axis scales, output sizes and roi.
func (k *ResizeKernel) inputs(x *nd.Array, in []*nd.Array) (scales []float64, out []int, roi []float64, err error) {
	defer func() {
		if err == nil && k.n.Opset < 11 {
			roi = nil
		}
	}()
	r := x.Rank()
	var sc, sz, ro *nd.Array
	if k.n.Opset < 11 {
		sc = at(in, 1)
	} else {
		ro, sc, sz = at(in, 1), at(in, 2), at(in, 3)
	}
	axes := k.Axes
	if axes == nil {
		axes = make([]int, r)
		for i := range axes {
			axes[i] = i
		}
	}
	scales, out = make([]float64, r), append([]int(nil), x.Shape...)
	for i := range scales {
		scales[i] = 1
	}
	switch {
	case sz != nil && sz.Len() > 0:
		if sz.Len() != len(axes) {
			return nil, nil, nil, errorf("sizes %v do not match rank %d", sz.Ints(), r)
		}
		for i, a := range axes {
			a, _ = normAxis(a, r)
			out[a] = int(sz.I[i])
			scales[a] = float64(out[a]) / float64(x.Shape[a])
		}
	case sc != nil && sc.Len() > 0:
		if sc.Len() != len(axes) {
			return nil, nil, nil, errorf("scales %v do not match rank %d", sc.F, r)
		}
		for i, a := range axes {
			a, _ = normAxis(a, r)
			scales[a] = float64(sc.F[i])
			if scales[a] <= 0 {
				return nil, nil, nil, errorf("scale %v is not positive", scales[a])
			}
			out[a] = int(math.Floor(float64(x.Shape[a]) * scales[a]))
		}
	default:
		return nil, nil, nil, errorf("needs scales or sizes")
	}
	roi = make([]float64, 2*r)
	for i := 0; i < r; i++ {
		roi[r+i] = 1
	}
	if ro != nil && ro.Len() == 2*len(axes) && k.Coord == "tf_crop_and_resize" {
		for i, a := range axes {
			a, _ = normAxis(a, r)
			roi[a], roi[r+a] = ro.Float(i), ro.Float(len(axes)+i)
		}
	}
	if _, err := nd.CheckedSize(toInt64s(out)); err != nil {
		return nil, nil, nil, err
	}
	return scales, out, roi, nil
}

// Forward resizes x.
func (k *ResizeKernel) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
	x := in[0]
	if x == nil || x.DType != nd.Float32 {
		return nil, k.n.Errorf("X must be a float tensor")
	}
	scales, out, roi, err := k.inputs(x, in)
	if err != nil {
		return nil, k.n.Errorf("%v", err)
	}
	r := x.Rank()
	y := x
	for a := 0; a < r; a++ {
		if out[a] == x.Shape[a] && scales[a] == 1 && k.Coord != "tf_crop_and_resize" {
			continue
		}
		r0, r1 := 0.0, 1.0
		if roi != nil {
			r0, r1 = roi[a], roi[r+a]
		}
		y = k.resample(y, a, out[a], scales[a], r0, r1)
	}
	if y == x {
		y = x.Clone()
	}
	return []*nd.Array{y}, nil
}

// source maps output coordinate i on an axis of length in -> out to an
// input coordinate.
func (k *ResizeKernel) source(i, in int, outF, scale, r0, r1 float64) float64 {
	x := float64(i)
	out := outF
	switch k.Coord {
	case "half_pixel":
		return (x+0.5)/scale - 0.5
	case "pytorch_half_pixel":
		if out > 1 {
			return (x+0.5)/scale - 0.5
		}
		return 0
	case "align_corners":
		if out == 1 {
			return 0
		}
		return x * float64(in-1) / (out - 1)
	case "tf_half_pixel_for_nn":
		return (x + 0.5) / scale
	case "tf_crop_and_resize":
		if out > 1 {
			return r0*float64(in-1) + x*(r1-r0)*float64(in-1)/(out-1)
		}
		return 0.5 * (r0 + r1) * float64(in-1)
	}
	return x / scale
}

func (k *ResizeKernel) nearest(c float64) int {
	switch k.Nearest {
	case "floor":
		return int(math.Floor(c))
	case "ceil":
		return int(math.Ceil(c))
	case "round_prefer_ceil":
		return int(math.Floor(c + 0.5))
	}
	if c == math.Floor(c)+0.5 {
		return int(math.Floor(c))
	}
	return int(math.Round(c))
}

// resample resizes axis a of x to length out.
func (k *ResizeKernel) resample(x *nd.Array, a, out int, scale, r0, r1 float64) *nd.Array {
	in := x.Shape[a]
	shape := append([]int(nil), x.Shape...)
	shape[a] = out
	y := nd.NewF(shape...)
	outer, inner := nd.Size(x.Shape[:a]), nd.Size(x.Shape[a+1:])
	for i := 0; i < out; i++ {
		// The reference uses the unrounded output length in*scale.
		c := k.source(i, in, float64(in)*scale, scale, r0, r1)
		extrap := k.Coord == "tf_crop_and_resize" && (c < 0 || c > float64(in-1))
		i0, i1, w := 0, 0, float32(0)
		if k.Mode == "nearest" {
			i0 = min(max(k.nearest(c), 0), in-1)
			i1 = i0
		} else {
			c = min(max(c, 0), float64(in-1))
			i0 = int(math.Floor(c))
			i1 = min(i0+1, in-1)
			w = float32(c - float64(i0))
		}
		for o := 0; o < outer; o++ {
			dst := y.F[(o*out+i)*inner : (o*out+i+1)*inner]
			if extrap {
				for j := range dst {
					dst[j] = k.Extrapolate
				}
				continue
			}
			s0 := x.F[(o*in+i0)*inner:]
			s1 := x.F[(o*in+i1)*inner:]
			for j := range dst {
				dst[j] = s0[j] + w*(s1[j]-s0[j])
			}
		}
	}
	return y
}
