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
	return float64(v) // an explicit rounding: the compiler may not fuse across it
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
	// Rows start at a sample boundary, so element i has the clip values of
	// feature i % feat.
	for r := 0; r < len(v); r += s.feat {
		row := v[r : r+s.feat]
		for i, x := range row {
			row[i] = clamp(x, s.r(s.lo[i]), s.r(s.hi[i]))
		}
	}
}

// clamp is min(max(x, lo), hi) as NumPy computes it for ordered x: x
// itself unless it lies outside [lo, hi] (so -0 stays -0); NaN stays NaN.
func clamp[T float32 | float64](x, lo, hi T) T {
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
	for lo := 0; lo < len(g); lo += s.feat {
		row := g[lo : lo+s.feat]
		switch norm {
		case NormInf:
			// sign(NaN) is 0, as for a NaN counted as 0.
			for i, v := range row {
				row[i] = sign(v)
			}
		case Norm1:
			zeroNaN(row)
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
			zeroNaN(row)
			q := s.r(norm2(row))
			if q == 0 {
				clear(row)
				continue
			}
			for i, v := range row {
				row[i] = s.r(s.r(math.Abs(v)/q) * sign(v))
			}
		}
	}
}

func zeroNaN(v []float64) {
	for i, x := range v {
		if x != x {
			v[i] = 0
		}
	}
}

// step applies ART's _apply_perturbation in place: x += eps * p (a NaN
// step counts as 0), then clip.
func (s space) step(x, p []float64, eps float64) {
	e := s.r(eps)
	p = p[:len(x)]
	if s.f32 {
		for i, v := range p {
			d := float64(float32(e * v))
			if d != d {
				d = 0
			}
			x[i] = float64(float32(x[i] + d))
		}
	} else {
		for i, v := range p {
			d := float64(e * v) // rounded: never fused into x + e*v
			if d != d {
				d = 0
			}
			x[i] += d
		}
	}
	s.clip(x)
}

// stepInf is, for norm inf, orient + direction + step + project on rows
// x around x0 with loss gradient g, in one pass: each
// element's result is the one those functions give. It reports false,
// changing nothing, when g's dtype is not the working dtype (then the
// caller takes the general path).
func (s space) stepInf(x, x0 []float64, g tensor.Tensor, targeted bool, epsStep, eps float64) bool {
	switch {
	case s.f32 && g.DType == tensor.Float32:
		lo, hi := s.clipRows32()
		stepInf32(x, x0, g.F32, lo, hi, s.feat, targeted, float32(epsStep), eps)
	case !s.f32 && g.DType == tensor.Float64:
		lo, hi := s.clipRows()
		stepInf64(x, x0, g.F64, lo, hi, s.feat, targeted, epsStep, eps)
	default:
		return false
	}
	return true
}

// stepInf32 is stepInf for float32 values, held in rows of R (float64,
// or float32 as PGD keeps them to spare the conversions), in float32
// arithmetic: one float32 operation rounds exactly as the float64
// operation rounded to float32 (space.r), since float64 carries more
// than twice float32's precision. Clamping to [-eps, eps] in float32,
// against eps rounded to float32, gives r(clamp(d, -eps, eps)) because no
// float32 lies between eps and its rounding.
func stepInf32[R float32 | float64](x, x0 []R, g, lo, hi []float32, feat int, targeted bool, e float32, eps float64) {
	flip := uint32(0)
	if targeted {
		flip = 1 << 31 // the ascent direction of a targeted attack is -g
	}
	e32 := float32(eps)
	for r := 0; r < len(x); r += feat {
		row, row0, grow := x[r:r+feat], x0[r:r+feat:r+feat], g[r:r+feat:r+feat]
		lo, hi := lo[:feat:feat], hi[:feat:feat]
		for i, v := range row {
			v0 := float32(row0[i])
			d := e * math.Float32frombits(sign32(math.Float32bits(grow[i])^flip))
			v := clamp(float32(v)+d, lo[i], hi[i])
			dv := clamp(v-v0, -e32, e32)
			row[i] = R(clamp(v0+dv, lo[i], hi[i]))
		}
	}
}

// sign32 returns the bits of the float32 sign of the float32 with bits b:
// 1 or -1, and +0 for ±0 and NaN (as sign does).
func sign32(b uint32) uint32 {
	var m uint32
	if (b&^(1<<31))-1 < 0x7f800000 { // not ±0, not NaN
		m = ^uint32(0)
	}
	return (b&(1<<31) | 0x3f800000) & m
}

// stepInf64 is stepInf for float64 values.
func stepInf64(x, x0, g, lo, hi []float64, feat int, targeted bool, e float64, eps float64) {
	flip := uint64(0)
	if targeted {
		flip = 1 << 63
	}
	for r := 0; r < len(x); r += feat {
		row, row0, grow := x[r:r+feat], x0[r:r+feat:r+feat], g[r:r+feat:r+feat]
		lo, hi := lo[:feat:feat], hi[:feat:feat]
		for i, v := range row {
			v0 := row0[i]
			d := float64(e * math.Float64frombits(sign64(math.Float64bits(grow[i])^flip)))
			v := clamp(v+d, lo[i], hi[i])
			dv := clamp(v-v0, -eps, eps)
			row[i] = clamp(v0+dv, lo[i], hi[i])
		}
	}
}

// sign64 is sign32 for float64 bits.
func sign64(b uint64) uint64 {
	var m uint64
	if (b&^(1<<63))-1 < 0x7ff0000000000000 {
		m = ^uint64(0)
	}
	return (b&(1<<63) | 0x3ff0000000000000) & m
}

// clipRows32 is clipRows in float32.
func (s space) clipRows32() (lo, hi []float32) {
	l, h := s.clipRows()
	lo, hi = make([]float32, s.feat), make([]float32, s.feat)
	for i := range l {
		lo[i], hi[i] = float32(l[i]), float32(h[i])
	}
	return lo, hi
}

// clipRows returns the clip values of one sample's elements, rounded to
// the working dtype (±Inf without clip values).
func (s space) clipRows() (lo, hi []float64) {
	lo, hi = make([]float64, s.feat), make([]float64, s.feat)
	for i := range lo {
		switch len(s.lo) {
		case 0:
			lo[i], hi[i] = math.Inf(-1), math.Inf(1)
		case 1:
			lo[i], hi[i] = s.r(s.lo[0]), s.r(s.hi[0])
		default:
			lo[i], hi[i] = s.r(s.lo[i]), s.r(s.hi[i])
		}
	}
	return lo, hi
}

// project replaces x by x0 + projection(x - x0, eps, norm), ART's
// art.utils.projection with its default suboptimal=True: inf clamps each
// element to [-eps, eps]; 1 and 2 rescale the row to norm eps when longer
// (a zero row stays zero). x0 + (x - x0) can round one ulp past a clip
// value, so the result is clipped once more (ART omits this).
func (s space) project(x, x0 []float64, eps float64, norm Norm) {
	x0 = x0[:len(x)]
	if norm == NormInf {
		// sign(d) min(|d|, eps) is d clamped to [-eps, eps].
		if s.f32 {
			for i, v0 := range x0 {
				d := float64(float32(x[i] - v0))
				d = float64(float32(clamp(d, -eps, eps)))
				x[i] = float64(float32(v0 + d))
			}
		} else {
			for i, v0 := range x0 {
				x[i] = v0 + clamp(x[i]-v0, -eps, eps)
			}
		}
		s.clip(x)
		return
	}
	for lo := 0; lo < len(x); lo += s.feat {
		row, row0 := x[lo:lo+s.feat], x0[lo:lo+s.feat]
		// The norm of d = x - x0 (rounded to the working dtype); d itself is
		// recomputed below rather than stored.
		n := 0.0
		for i, v := range row {
			d := s.r(v - row0[i])
			if norm == Norm1 {
				n += math.Abs(d)
			} else {
				n += d * d
			}
		}
		if norm == Norm2 {
			n = math.Sqrt(n)
		}
		n = s.r(n)
		f := 0.0
		if n != 0 {
			f = math.Min(1, eps/n)
		}
		for i, v := range row {
			d := s.r(s.r(v-row0[i]) * f)
			row[i] = s.r(row0[i] + d)
		}
	}
	s.clip(x)
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
