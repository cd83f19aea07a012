// Package nd is the dense array the ONNX runtime computes on: float32 for
// activations and weights, int64 for shapes and indices, bool for masks.
// Arrays are row-major and owned by whoever created them; kernels never
// modify their inputs.
package nd

import (
	"fmt"
	"strings"
)

// DType is the element type of an Array.
type DType uint8

// The element types the runtime supports. Bool values live in I as 0 or 1.
const (
	Float32 DType = iota + 1
	Int64
	Bool
)

// String returns the ONNX name of the dtype.
func (d DType) String() string {
	switch d {
	case Float32:
		return "float"
	case Int64:
		return "int64"
	case Bool:
		return "bool"
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Array is a dense row-major tensor. F holds the values of a Float32 array,
// I those of an Int64 or Bool array; the other slice is nil.
type Array struct {
	DType DType
	Shape []int
	F     []float32
	I     []int64
	// Pooled marks F as taken from an Arena: the interpreter returns it
	// when the last value sharing it dies.
	Pooled bool
	// RowRepeat, when above 1, marks a float value repeated row-wise
	// without a copy (autodiff.Tile): F holds Shape[0]/RowRepeat rows,
	// and row r of the value is row r/RowRepeat of F. Only backward
	// rules that declare so (ops.RepeatReadInput, ops.RepeatReadOutput)
	// ever see one.
	RowRepeat int
}

// TooLarge is the panic value of the constructors when a shape is
// negative or holds more than MaxElements values; the interpreter turns it
// into an error naming the node.
type TooLarge struct{ Shape []int }

func (e TooLarge) Error() string {
	return fmt.Sprintf("tensor of shape %v exceeds the limit of %d elements", e.Shape, MaxElements)
}

// checked returns Size(shape) or panics with TooLarge.
func checked(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > MaxElements/d) {
			panic(TooLarge{Shape: shape})
		}
		n *= d
	}
	if n > MaxElements {
		panic(TooLarge{Shape: shape})
	}
	return n
}

// Size returns the number of elements of shape (1 for a scalar).
func Size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len returns the number of elements of a.
func (a *Array) Len() int { return Size(a.Shape) }

// Rank returns len(a.Shape).
func (a *Array) Rank() int { return len(a.Shape) }

// NewF returns a zero float32 array of the given shape. NewF, NewI, NewB
// and New panic with TooLarge beyond MaxElements.
func NewF(shape ...int) *Array {
	return &Array{DType: Float32, Shape: shape, F: make([]float32, checked(shape))}
}

// NewI returns a zero int64 array of the given shape.
func NewI(shape ...int) *Array {
	return &Array{DType: Int64, Shape: shape, I: make([]int64, checked(shape))}
}

// NewB returns a false bool array of the given shape.
func NewB(shape ...int) *Array {
	return &Array{DType: Bool, Shape: shape, I: make([]int64, checked(shape))}
}

// New returns a zero array of dtype d.
func New(d DType, shape ...int) *Array {
	switch d {
	case Float32:
		return NewF(shape...)
	case Int64:
		return NewI(shape...)
	}
	return NewB(shape...)
}

// FromF wraps v (not copied) as a float32 array; it panics when the length
// does not match the shape (a caller's bug).
func FromF(v []float32, shape ...int) *Array {
	if len(v) != Size(shape) {
		panic(fmt.Sprintf("nd: %d values for shape %v", len(v), shape))
	}
	return &Array{DType: Float32, Shape: shape, F: v}
}

// FromI wraps v (not copied) as an int64 array.
func FromI(v []int64, shape ...int) *Array {
	if len(v) != Size(shape) {
		panic(fmt.Sprintf("nd: %d values for shape %v", len(v), shape))
	}
	return &Array{DType: Int64, Shape: shape, I: v}
}

// Clone returns a deep copy of a.
func (a *Array) Clone() *Array {
	b := &Array{DType: a.DType, Shape: append([]int(nil), a.Shape...)}
	if a.F != nil {
		b.F = append([]float32(nil), a.F...)
	}
	if a.I != nil {
		b.I = append([]int64(nil), a.I...)
	}
	return b
}

// Reshaped returns a view of a with another shape of the same size; the
// data is shared.
func (a *Array) Reshaped(shape ...int) *Array {
	return &Array{DType: a.DType, Shape: shape, F: a.F, I: a.I}
}

// Strides returns the row-major element strides of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	st := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = st
		st *= shape[i]
	}
	return s
}

// Float returns element i as a float64 whatever the dtype.
func (a *Array) Float(i int) float64 {
	if a.DType == Float32 {
		return float64(a.F[i])
	}
	return float64(a.I[i])
}

// Ints returns the values of an integer array as ints.
func (a *Array) Ints() []int {
	out := make([]int, a.Len())
	for i := range out {
		if a.DType == Float32 {
			out[i] = int(a.F[i])
		} else {
			out[i] = int(a.I[i])
		}
	}
	return out
}

// ShapeString formats a shape as [2 3 4].
func ShapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// EqualShape reports whether two shapes are identical.
func EqualShape(a, b []int) bool {
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
