package tensor

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/arthost/arthost/shared/estimatorv1"
)

// MaxElements bounds the element count a decoded tensor may declare, so a
// corrupt or hostile shape cannot make the receiver allocate without limit.
// 1<<31 float32 values are 8 GiB, far above the message cap.
const MaxElements = 1 << 31

// littleEndian is true on hosts where the wire bytes can be reinterpreted
// in place; elsewhere the codec decodes value by value.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// ToProto encodes t for the wire. On little-endian hosts the bytes alias
// the tensor's values; t must not change until the message is sent.
func ToProto(t Tensor) (*estimatorv1.Tensor, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	p := &estimatorv1.Tensor{Shape: make([]int64, len(t.Shape))}
	for i, d := range t.Shape {
		p.Shape[i] = int64(d)
	}
	switch t.DType {
	case Float32:
		p.Dtype = estimatorv1.DType_DTYPE_FLOAT32
		p.Data = asBytes(t.F32)
	case Float64:
		p.Dtype = estimatorv1.DType_DTYPE_FLOAT64
		p.Data = asBytes(t.F64)
	case Int64:
		p.Dtype = estimatorv1.DType_DTYPE_INT64
		p.Data = asBytes(t.I64)
	}
	return p, nil
}

// FromProto decodes a wire tensor, checking the dtype, that no dimension is
// negative, the element count against MaxElements, and that the data holds
// exactly prod(shape) * itemsize bytes. A nil message is an error.
func FromProto(p *estimatorv1.Tensor) (Tensor, error) {
	if p == nil {
		return Tensor{}, fmt.Errorf("missing tensor")
	}
	var d DType
	switch p.Dtype {
	case estimatorv1.DType_DTYPE_FLOAT32:
		d = Float32
	case estimatorv1.DType_DTYPE_FLOAT64:
		d = Float64
	case estimatorv1.DType_DTYPE_INT64:
		d = Int64
	default:
		return Tensor{}, fmt.Errorf("unsupported dtype %v", p.Dtype)
	}
	shape := make([]int, len(p.Shape))
	n := int64(1)
	for i, s := range p.Shape {
		if s < 0 {
			return Tensor{}, fmt.Errorf("negative dimension %d in shape %v", s, p.Shape)
		}
		if s > 0 && n > MaxElements/s {
			return Tensor{}, fmt.Errorf("shape %v declares more than %d elements", p.Shape, int64(MaxElements))
		}
		n *= s
		shape[i] = int(s)
	}
	if want := n * int64(d.Size()); int64(len(p.Data)) != want {
		return Tensor{}, fmt.Errorf("%v tensor of shape %v needs %d bytes, got %d", d, p.Shape, want, len(p.Data))
	}
	t := Tensor{DType: d, Shape: shape}
	switch d {
	case Float32:
		t.F32 = fromBytes[float32](p.Data)
	case Float64:
		t.F64 = fromBytes[float64](p.Data)
	case Int64:
		t.I64 = fromBytes[int64](p.Data)
	}
	return t, nil
}

// The byte views below reinterpret memory in place when the host is
// little-endian and the slice is aligned, and copy otherwise.

// element is a type a tensor holds.
type element interface{ float32 | float64 | int64 }

// asBytes views v as its little-endian bytes: in place on little-endian
// hosts, encoded into a new slice elsewhere.
func asBytes[T element](v []T) []byte {
	if len(v) == 0 {
		return []byte{}
	}
	size := int(unsafe.Sizeof(v[0]))
	if littleEndian {
		return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*size)
	}
	b := make([]byte, len(v)*size)
	if _, err := binary.Encode(b, binary.LittleEndian, v); err != nil {
		panic("tensor: encode: " + err.Error())
	}
	return b
}

func aligned(b []byte, n uintptr) bool {
	return uintptr(unsafe.Pointer(&b[0]))%n == 0
}

// fromBytes views little-endian bytes as values: in place when the host is
// little-endian and b is aligned, decoded into a new slice otherwise.
func fromBytes[T element](b []byte) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	n := len(b) / size
	if n == 0 {
		return []T{}
	}
	if littleEndian && aligned(b, uintptr(size)) {
		return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
	}
	v := make([]T, n)
	if _, err := binary.Decode(b[:n*size], binary.LittleEndian, v); err != nil {
		panic("tensor: decode: " + err.Error())
	}
	return v
}
