// Package tensor is the dense array that crosses the plugin boundary: a
// dtype, a row-major shape and the values. It is shared by the host and the
// SDK; only this package converts tensors to and from wire bytes.
package tensor

import (
	"fmt"
	"math"
)

// DType is the element type of a tensor.
type DType uint8

// The element types that travel. Precision is never changed on the way: a
// float64 tensor arrives as float64.
const (
	Invalid DType = iota
	Float32
	Float64
	Int64
)

// String returns the numpy name of the dtype.
func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	case Int64:
		return "int64"
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Size is the number of bytes of one element.
func (d DType) Size() int {
	switch d {
	case Float32:
		return 4
	case Float64, Int64:
		return 8
	}
	return 0
}

// Tensor is a dense row-major array. Exactly one of F32, F64 and I64 holds
// the values, chosen by DType, with Len() elements.
type Tensor struct {
	DType DType
	Shape []int
	F32   []float32
	F64   []float64
	I64   []int64
}

// New returns a zero tensor of the given dtype and shape.
func New(d DType, shape ...int) Tensor {
	n := NumElements(shape)
	t := Tensor{DType: d, Shape: append([]int(nil), shape...)}
	switch d {
	case Float32:
		t.F32 = make([]float32, n)
	case Float64:
		t.F64 = make([]float64, n)
	case Int64:
		t.I64 = make([]int64, n)
	default:
		panic(fmt.Sprintf("tensor: new with invalid dtype %v", d))
	}
	return t
}

// FromFloat32 wraps v (not copied) as a float32 tensor of the given shape.
// It panics when len(v) does not match the shape.
func FromFloat32(v []float32, shape ...int) Tensor {
	mustLen(len(v), shape)
	return Tensor{DType: Float32, Shape: append([]int(nil), shape...), F32: v}
}

// FromFloat64 wraps v (not copied) as a float64 tensor of the given shape.
func FromFloat64(v []float64, shape ...int) Tensor {
	mustLen(len(v), shape)
	return Tensor{DType: Float64, Shape: append([]int(nil), shape...), F64: v}
}

// FromInt64 wraps v (not copied) as an int64 tensor of the given shape.
func FromInt64(v []int64, shape ...int) Tensor {
	mustLen(len(v), shape)
	return Tensor{DType: Int64, Shape: append([]int(nil), shape...), I64: v}
}

func mustLen(n int, shape []int) {
	if want := NumElements(shape); want != n {
		panic(fmt.Sprintf("tensor: %d values for shape %v (want %d)", n, shape, want))
	}
}

// NumElements is the product of the dimensions (1 for a scalar shape).
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len is the number of elements held.
func (t Tensor) Len() int {
	switch t.DType {
	case Float32:
		return len(t.F32)
	case Float64:
		return len(t.F64)
	case Int64:
		return len(t.I64)
	}
	return 0
}

// Rows is the size of the first (batch) dimension, 0 for a scalar.
func (t Tensor) Rows() int {
	if len(t.Shape) == 0 {
		return 0
	}
	return t.Shape[0]
}

// Validate checks that the dtype is known, no dimension is negative and the
// values match the shape.
func (t Tensor) Validate() error {
	if t.DType.Size() == 0 {
		return fmt.Errorf("invalid dtype %v", t.DType)
	}
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", t.Shape)
		}
	}
	if want := NumElements(t.Shape); t.Len() != want {
		return fmt.Errorf("%d values for shape %v (want %d)", t.Len(), t.Shape, want)
	}
	return nil
}

// IsFloat reports whether the tensor holds float32 or float64 values.
func (t Tensor) IsFloat() bool { return t.DType == Float32 || t.DType == Float64 }

// At returns element i as a float64 whatever the dtype.
func (t Tensor) At(i int) float64 {
	switch t.DType {
	case Float32:
		return float64(t.F32[i])
	case Float64:
		return t.F64[i]
	case Int64:
		return float64(t.I64[i])
	}
	panic("tensor: At on invalid dtype")
}

// Float64s returns the values as float64: the tensor's own slice when it is
// float64, a converted copy otherwise.
func (t Tensor) Float64s() []float64 {
	if t.DType == Float64 {
		return t.F64
	}
	out := make([]float64, t.Len())
	switch t.DType {
	case Float32:
		for i, v := range t.F32 {
			out[i] = float64(v)
		}
	case Int64:
		for i, v := range t.I64 {
			out[i] = float64(v)
		}
	}
	return out
}

// Float32s returns the values as float32: the tensor's own slice when it is
// float32, a converted copy otherwise.
func (t Tensor) Float32s() []float32 {
	if t.DType == Float32 {
		return t.F32
	}
	out := make([]float32, t.Len())
	switch t.DType {
	case Float64:
		for i, v := range t.F64 {
			out[i] = float32(v)
		}
	case Int64:
		for i, v := range t.I64 {
			out[i] = float32(float64(v)) // as float32(At(i)) rounds
		}
	}
	return out
}

// As returns the tensor converted to dtype d (the tensor itself when it
// already is).
func (t Tensor) As(d DType) Tensor {
	if t.DType == d {
		return t
	}
	out := Tensor{DType: d, Shape: append([]int(nil), t.Shape...)}
	switch d {
	case Float32:
		out.F32 = t.Float32s()
	case Float64:
		out.F64 = t.Float64s()
	case Int64:
		out.I64 = make([]int64, t.Len())
		for i := range out.I64 {
			out.I64[i] = int64(t.At(i))
		}
	default:
		panic(fmt.Sprintf("tensor: convert to invalid dtype %v", d))
	}
	return out
}

// Clone returns a deep copy.
func (t Tensor) Clone() Tensor {
	c := Tensor{DType: t.DType, Shape: append([]int(nil), t.Shape...)}
	c.F32 = append([]float32(nil), t.F32...)
	c.F64 = append([]float64(nil), t.F64...)
	c.I64 = append([]int64(nil), t.I64...)
	return c
}

// Slice returns rows [lo, hi) of the first dimension, sharing memory.
func (t Tensor) Slice(lo, hi int) Tensor {
	if len(t.Shape) == 0 || lo < 0 || hi > t.Shape[0] || lo > hi {
		panic(fmt.Sprintf("tensor: slice [%d:%d] of shape %v", lo, hi, t.Shape))
	}
	row := NumElements(t.Shape[1:])
	s := Tensor{DType: t.DType, Shape: append([]int{hi - lo}, t.Shape[1:]...)}
	switch t.DType {
	case Float32:
		s.F32 = t.F32[lo*row : hi*row]
	case Float64:
		s.F64 = t.F64[lo*row : hi*row]
	case Int64:
		s.I64 = t.I64[lo*row : hi*row]
	}
	return s
}

// Concat joins tensors of one dtype along the first dimension. Their other
// dimensions must agree.
func Concat(parts []Tensor) (Tensor, error) {
	if len(parts) == 0 {
		return Tensor{}, fmt.Errorf("concat of no tensors")
	}
	first := parts[0]
	out := Tensor{DType: first.DType, Shape: append([]int{0}, first.Shape[1:]...)}
	for i, p := range parts {
		if p.DType != first.DType || !equalInts(p.Shape[1:], first.Shape[1:]) {
			return Tensor{}, fmt.Errorf("concat: part %d is %v %v, part 0 is %v %v", i, p.DType, p.Shape, first.DType, first.Shape)
		}
		out.Shape[0] += p.Shape[0]
		out.F32 = append(out.F32, p.F32...)
		out.F64 = append(out.F64, p.F64...)
		out.I64 = append(out.I64, p.I64...)
	}
	return out, nil
}

func equalInts(a, b []int) bool {
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

// FirstNonFinite returns the index of the first NaN or infinite value, or -1.
func (t Tensor) FirstNonFinite() int {
	switch t.DType {
	case Float32:
		for i, v := range t.F32 {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return i
			}
		}
	case Float64:
		for i, v := range t.F64 {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return i
			}
		}
	}
	return -1
}

// Index turns a flat element index into a multi-index of the shape, for
// error messages that name the offending element.
func (t Tensor) Index(flat int) []int {
	idx := make([]int, len(t.Shape))
	for d := len(t.Shape) - 1; d >= 0; d-- {
		if t.Shape[d] > 0 {
			idx[d] = flat % t.Shape[d]
			flat /= t.Shape[d]
		}
	}
	return idx
}
