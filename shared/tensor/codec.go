package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
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
		p.Data = float32Bytes(t.F32)
	case Float64:
		p.Dtype = estimatorv1.DType_DTYPE_FLOAT64
		p.Data = float64Bytes(t.F64)
	case Int64:
		p.Dtype = estimatorv1.DType_DTYPE_INT64
		p.Data = int64Bytes(t.I64)
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
		t.F32 = bytesFloat32(p.Data)
	case Float64:
		t.F64 = bytesFloat64(p.Data)
	case Int64:
		t.I64 = bytesInt64(p.Data)
	}
	return t, nil
}

// The byte views below reinterpret memory in place when the host is
// little-endian and the slice is aligned, and copy otherwise.

func float32Bytes(v []float32) []byte {
	if len(v) == 0 {
		return []byte{}
	}
	if littleEndian {
		return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*4)
	}
	b := make([]byte, len(v)*4)
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[i*4:], math.Float32bits(x))
	}
	return b
}

func float64Bytes(v []float64) []byte {
	if len(v) == 0 {
		return []byte{}
	}
	if littleEndian {
		return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*8)
	}
	b := make([]byte, len(v)*8)
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[i*8:], math.Float64bits(x))
	}
	return b
}

func int64Bytes(v []int64) []byte {
	if len(v) == 0 {
		return []byte{}
	}
	if littleEndian {
		return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*8)
	}
	b := make([]byte, len(v)*8)
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[i*8:], uint64(x))
	}
	return b
}

func aligned(b []byte, n uintptr) bool {
	return uintptr(unsafe.Pointer(&b[0]))%n == 0
}

func bytesFloat32(b []byte) []float32 {
	n := len(b) / 4
	if n == 0 {
		return []float32{}
	}
	if littleEndian && aligned(b, 4) {
		return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[i*4:]))
	}
	return v
}

func bytesFloat64(b []byte) []float64 {
	n := len(b) / 8
	if n == 0 {
		return []float64{}
	}
	if littleEndian && aligned(b, 8) {
		return unsafe.Slice((*float64)(unsafe.Pointer(&b[0])), n)
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[i*8:]))
	}
	return v
}

func bytesInt64(b []byte) []int64 {
	n := len(b) / 8
	if n == 0 {
		return []int64{}
	}
	if littleEndian && aligned(b, 8) {
		return unsafe.Slice((*int64)(unsafe.Pointer(&b[0])), n)
	}
	v := make([]int64, n)
	for i := range v {
		v[i] = int64(binary.LittleEndian.Uint64(b[i*8:]))
	}
	return v
}
