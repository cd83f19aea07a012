package attack

import (
	"fmt"
	"math"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/tensor"
)

// space is the input domain of one attack run: the rounding of the
// input's dtype, the estimator's clip values, and the size of one sample.
// Samples are kept as float64 rows; with float32 inputs every operation is
// rounded back to float32, so the arithmetic equals NumPy's on float32.
type space struct {
	f32    bool
	feat   int       // elements per sample
	shape  []int     // one sample's shape
	lo, hi []float64 // clip values: none, one, or one per element
}

func newSpace(name string, d host.Description, x tensor.Tensor) (space, error) {
	if !x.IsFloat() {
		return space{}, fmt.Errorf("attack %s: input dtype %v, want float32 or float64", name, x.DType)
	}
	if len(x.Shape) < 2 || x.Shape[0] == 0 {
		return space{}, fmt.Errorf("attack %s: input shape %v, want a non-empty batch (n, features...)", name, x.Shape)
	}
	if i := x.FirstNonFinite(); i >= 0 {
		return space{}, fmt.Errorf("attack %s: input element %v is %v", name, x.Index(i), x.At(i))
	}
	s := space{f32: x.DType == tensor.Float32, shape: x.Shape[1:], feat: tensor.NumElements(x.Shape[1:])}
	if len(d.ClipMin) != len(d.ClipMax) || (len(d.ClipMin) > 1 && len(d.ClipMin) != s.feat) {
		return space{}, fmt.Errorf("attack %s: estimator %q has %d clip minima and %d maxima for %d features", name, d.Name, len(d.ClipMin), len(d.ClipMax), s.feat)
	}
	s.lo, s.hi = d.ClipMin, d.ClipMax
	return s, nil
}

// r rounds v to the working dtype.
func (s space) r(v float64) float64 {
	if s.f32 {
		return float64(float32(v))
	}
	return v
}

// bounds returns the clip interval of element i of a sample (±Inf when
// the estimator has no clip values).
func (s space) bounds(i int) (float64, float64) {
	switch len(s.lo) {
	case 0:
		return math.Inf(-1), math.Inf(1)
	case 1:
		return s.lo[0], s.hi[0]
	}
	return s.lo[i%s.feat], s.hi[i%s.feat]
}

// clip bounds every element of rows v by the clip values (np.clip).
func (s space) clip(v []float64) {
	switch len(s.lo) {
	case 0:
		return
	case 1:
		lo, hi := s.r(s.lo[0]), s.r(s.hi[0])
		for i, x := range v {
			v[i] = clamp(x, lo, hi)
		}
		return
	}
	for i, x := range v {
		lo, hi := s.bounds(i)
		v[i] = clamp(x, s.r(lo), s.r(hi))
	}
}

// clamp is min(max(x, lo), hi) for ordered x; NaN stays NaN.
func clamp(x, lo, hi float64) float64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

// values turns rows of float64 into a tensor of the input's dtype.
func (s space) tensor(v []float64) tensor.Tensor {
	shape := append([]int{len(v) / s.feat}, s.shape...)
	if s.f32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.FromFloat32(f, shape...)
	}
	return tensor.FromFloat64(append([]float64(nil), v...), shape...)
}

// rows returns x's values as float64 rows in the working dtype.
func (s space) rows(x tensor.Tensor) []float64 {
	return append([]float64(nil), x.Float64s()...)
}

// direction overwrites each row g of length feat with ART's normalised
// gradient (FastGradientMethod._apply_norm), the x maximising <g, x> with
// ||x||_norm <= 1. NaN entries count as 0 first. inf: sign(g); 1: sign of
// the first largest |g| at its position, 0 elsewhere; 2: g / ||g||_2, and
// 0 when ||g|| is 0.
func (s space) direction(norm Norm, g []float64) {
	for i, v := range g {
		if math.IsNaN(v) {
			g[i] = 0
		}
	}
	for lo := 0; lo < len(g); lo += s.feat {
		row := g[lo : lo+s.feat]
		switch norm {
		case NormInf:
			for i, v := range row {
				row[i] = sign(v)
			}
		case Norm1:
			best := 0
			for i, v := range row {
				if math.Abs(v) > math.Abs(row[best]) {
					best = i
				}
			}
			sg := sign(row[best])
			clear(row)
			row[best] = sg
		case Norm2:
			q := s.r(norm2(row))
			for i, v := range row {
				if q == 0 {
					row[i] = 0
					continue
				}
				row[i] = s.r(s.r(math.Abs(v)/q) * sign(v))
			}
		}
	}
}

// step applies ART's _apply_perturbation in place: x += eps * p (a NaN
// step counts as 0), then clip.
func (s space) step(x, p []float64, eps float64) {
	e := s.r(eps)
	for i := range x {
		d := s.r(e * p[i])
		if math.IsNaN(d) {
			d = 0
		}
		x[i] = s.r(x[i] + d)
	}
	s.clip(x)
}

// project replaces x by x0 + projection(x - x0, eps, norm), ART's
// art.utils.projection with its default suboptimal=True: inf clamps each
// element to [-eps, eps]; 1 and 2 rescale the row to norm eps when longer
// (a zero row stays zero). x0 + (x - x0) can round one ulp past a clip
// value, so the result is clipped once more (ART omits this).
func (s space) project(x, x0 []float64, eps float64, norm Norm) {
	d := make([]float64, s.feat)
	for lo := 0; lo < len(x); lo += s.feat {
		row, row0 := x[lo:lo+s.feat], x0[lo:lo+s.feat]
		for i := range d {
			d[i] = s.r(row[i] - row0[i])
		}
		switch norm {
		case NormInf:
			// sign(d) min(|d|, eps) is d clamped to [-eps, eps].
			for i, v := range d {
				d[i] = s.r(clamp(v, -eps, eps))
			}
		default:
			n := s.r(norm2(d))
			if norm == Norm1 {
				n = s.r(norm1(d))
			}
			f := 0.0
			if n != 0 {
				f = math.Min(1, eps/n)
			}
			for i, v := range d {
				d[i] = s.r(v * f)
			}
		}
		for i := range row {
			row[i] = s.r(row0[i] + d[i])
		}
		s.clip(row)
	}
}

func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func norm2(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

func norm1(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += math.Abs(x)
	}
	return s
}
