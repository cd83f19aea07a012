package nd

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
)

// MaxElements caps the size of any tensor a model may declare or carry
// (2^28 floats = 1 GiB), so a hostile file cannot make the loader allocate
// without bound.
const MaxElements = 1 << 28

// CheckedSize returns the element count of dims, or an error when a
// dimension is negative or the product exceeds MaxElements.
func CheckedSize(dims []int64) (int, error) {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in %v", d, dims)
		}
		if d > MaxElements || (d > 0 && n > MaxElements/d) {
			return 0, fmt.Errorf("shape %v has more than %d elements", dims, MaxElements)
		}
		n *= d
	}
	return int(n), nil
}

// FromProto decodes a TensorProto. Float is decoded as Float32; the
// integer types (int8..uint64) as Int64; bool as Bool. Other types
// (double, float16, string, ...) and external data are refused with an
// error naming the tensor.
func FromProto(t *onnxpb.TensorProto) (*Array, error) {
	if t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(t.GetExternalData()) > 0 {
		return nil, fmt.Errorf("tensor %q: external data is not supported", t.GetName())
	}
	n, err := CheckedSize(t.GetDims())
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.GetName(), err)
	}
	shape := make([]int, len(t.GetDims()))
	for i, d := range t.GetDims() {
		shape[i] = int(d)
	}
	dt := onnxpb.TensorProto_DataType(t.GetDataType())
	a, err := decode(t, dt, n)
	if err != nil {
		return nil, fmt.Errorf("tensor %q (%s, shape %v): %w", t.GetName(), dt, shape, err)
	}
	a.Shape = shape
	return a, nil
}

func decode(t *onnxpb.TensorProto, dt onnxpb.TensorProto_DataType, n int) (*Array, error) {
	raw := t.GetRawData()
	switch dt {
	case onnxpb.TensorProto_FLOAT:
		if raw != nil {
			if len(raw) != 4*n {
				return nil, fmt.Errorf("raw data has %d bytes, want %d", len(raw), 4*n)
			}
			f := make([]float32, n)
			for i := range f {
				f[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
			return &Array{DType: Float32, F: f}, nil
		}
		if len(t.GetFloatData()) != n {
			return nil, fmt.Errorf("%d float values, want %d", len(t.GetFloatData()), n)
		}
		return &Array{DType: Float32, F: append([]float32(nil), t.GetFloatData()...)}, nil
	case onnxpb.TensorProto_INT64, onnxpb.TensorProto_UINT64:
		if raw != nil {
			if len(raw) != 8*n {
				return nil, fmt.Errorf("raw data has %d bytes, want %d", len(raw), 8*n)
			}
			v := make([]int64, n)
			for i := range v {
				v[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
			return &Array{DType: Int64, I: v}, nil
		}
		src := t.GetInt64Data()
		if dt == onnxpb.TensorProto_UINT64 {
			src = nil
			for _, u := range t.GetUint64Data() {
				src = append(src, int64(u))
			}
		}
		if len(src) != n {
			return nil, fmt.Errorf("%d int64 values, want %d", len(src), n)
		}
		return &Array{DType: Int64, I: append([]int64(nil), src...)}, nil
	case onnxpb.TensorProto_INT32, onnxpb.TensorProto_INT16, onnxpb.TensorProto_INT8,
		onnxpb.TensorProto_UINT16, onnxpb.TensorProto_UINT8, onnxpb.TensorProto_UINT32, onnxpb.TensorProto_BOOL:
		v, err := decodeSmallInts(t, dt, raw, n)
		if err != nil {
			return nil, err
		}
		if dt == onnxpb.TensorProto_BOOL {
			for i := range v {
				if v[i] != 0 {
					v[i] = 1
				}
			}
			return &Array{DType: Bool, I: v}, nil
		}
		return &Array{DType: Int64, I: v}, nil
	}
	return nil, fmt.Errorf("data type %s is not supported (float32 runtime)", dt)
}

func decodeSmallInts(t *onnxpb.TensorProto, dt onnxpb.TensorProto_DataType, raw []byte, n int) ([]int64, error) {
	v := make([]int64, n)
	if raw == nil {
		src := t.GetInt32Data()
		if dt == onnxpb.TensorProto_UINT32 {
			if len(t.GetUint64Data()) != n {
				return nil, fmt.Errorf("%d uint32 values, want %d", len(t.GetUint64Data()), n)
			}
			for i, u := range t.GetUint64Data() {
				v[i] = int64(u)
			}
			return v, nil
		}
		if len(src) != n {
			return nil, fmt.Errorf("%d int32 values, want %d", len(src), n)
		}
		for i, x := range src {
			v[i] = int64(x)
		}
		return v, nil
	}
	size := map[onnxpb.TensorProto_DataType]int{
		onnxpb.TensorProto_INT32: 4, onnxpb.TensorProto_UINT32: 4, onnxpb.TensorProto_INT16: 2,
		onnxpb.TensorProto_UINT16: 2, onnxpb.TensorProto_INT8: 1, onnxpb.TensorProto_UINT8: 1, onnxpb.TensorProto_BOOL: 1,
	}[dt]
	if len(raw) != size*n {
		return nil, fmt.Errorf("raw data has %d bytes, want %d", len(raw), size*n)
	}
	for i := range v {
		switch dt {
		case onnxpb.TensorProto_INT32:
			v[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		case onnxpb.TensorProto_UINT32:
			v[i] = int64(binary.LittleEndian.Uint32(raw[4*i:]))
		case onnxpb.TensorProto_INT16:
			v[i] = int64(int16(binary.LittleEndian.Uint16(raw[2*i:])))
		case onnxpb.TensorProto_UINT16:
			v[i] = int64(binary.LittleEndian.Uint16(raw[2*i:]))
		case onnxpb.TensorProto_INT8:
			v[i] = int64(int8(raw[i]))
		default:
			v[i] = int64(raw[i])
		}
	}
	return v, nil
}

// ToProto encodes a as a TensorProto with raw little-endian data (float32,
// int64 or bool), for Save and for tests.
func ToProto(name string, a *Array) *onnxpb.TensorProto {
	t := &onnxpb.TensorProto{Name: &name}
	for _, d := range a.Shape {
		t.Dims = append(t.Dims, int64(d))
	}
	var dt onnxpb.TensorProto_DataType
	switch a.DType {
	case Float32:
		dt = onnxpb.TensorProto_FLOAT
		t.RawData = make([]byte, 4*len(a.F))
		for i, f := range a.F {
			binary.LittleEndian.PutUint32(t.RawData[4*i:], math.Float32bits(f))
		}
	case Int64:
		dt = onnxpb.TensorProto_INT64
		t.RawData = make([]byte, 8*len(a.I))
		for i, v := range a.I {
			binary.LittleEndian.PutUint64(t.RawData[8*i:], uint64(v))
		}
	default:
		dt = onnxpb.TensorProto_BOOL
		t.RawData = make([]byte, len(a.I))
		for i, v := range a.I {
			if v != 0 {
				t.RawData[i] = 1
			}
		}
	}
	d := int32(dt)
	t.DataType = &d
	return t
}
