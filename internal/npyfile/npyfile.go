// Package npyfile reads and writes NumPy .npy and .npz files as tensors,
// on top of codeberg.org/sbinet/npyio. It is what the CLI and the tests use
// for every array that crosses the file system.
package npyfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
	"codeberg.org/sbinet/npyio/npz"

	"github.com/arthost/arthost/shared/tensor"
)

// maxElements bounds what a file may declare before anything is allocated.
const maxElements = tensor.MaxElements

// Read reads a .npy file. float32 and float64 arrays keep their dtype;
// integer and boolean arrays become int64.
func Read(path string) (tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return tensor.Tensor{}, err
	}
	defer f.Close()
	t, err := Decode(bufio.NewReader(f))
	if err != nil {
		return t, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Decode reads one .npy array from r.
func Decode(r io.Reader) (t tensor.Tensor, err error) {
	defer func() {
		// npyio can panic on some malformed headers; a bad file is an error.
		if p := recover(); p != nil {
			err = fmt.Errorf("not a valid .npy array: %v", p)
		}
	}()
	nr, err := npy.NewReader(r)
	if err != nil {
		return t, fmt.Errorf("not a valid .npy file: %w", err)
	}
	return decodeArray(nr.Header, nr.Read)
}

func decodeArray(h npy.Header, read func(any) error) (tensor.Tensor, error) {
	if h.Descr.Fortran {
		return tensor.Tensor{}, fmt.Errorf("fortran-order arrays are not supported; save with np.ascontiguousarray")
	}
	shape := append([]int(nil), h.Descr.Shape...)
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > maxElements/d) {
			return tensor.Tensor{}, fmt.Errorf("shape %v is too large or invalid", shape)
		}
		n *= d
	}
	if n == 0 {
		read = func(any) error { return nil }
	}
	switch strings.Trim(h.Descr.Type, `'"`) {
	case "<f4", "|f4", "=f4":
		var v []float32
		if err := read(&v); err != nil {
			return tensor.Tensor{}, err
		}
		return checked(tensor.Tensor{DType: tensor.Float32, Shape: shape, F32: v})
	case "<f8", "|f8", "=f8":
		var v []float64
		if err := read(&v); err != nil {
			return tensor.Tensor{}, err
		}
		return checked(tensor.Tensor{DType: tensor.Float64, Shape: shape, F64: v})
	case "<i8", "=i8":
		var v []int64
		if err := read(&v); err != nil {
			return tensor.Tensor{}, err
		}
		return checked(tensor.Tensor{DType: tensor.Int64, Shape: shape, I64: v})
	case "<i4", "=i4":
		var v []int32
		if err := read(&v); err != nil {
			return tensor.Tensor{}, err
		}
		return checked(widen(v, shape))
	case "|u1", "<u1":
		var v []uint8
		if err := read(&v); err != nil {
			return tensor.Tensor{}, err
		}
		return checked(widen(v, shape))
	case "|b1", "<b1":
		var v []bool
		if err := read(&v); err != nil {
			return tensor.Tensor{}, err
		}
		out := make([]int64, len(v))
		for i, b := range v {
			if b {
				out[i] = 1
			}
		}
		return checked(tensor.Tensor{DType: tensor.Int64, Shape: shape, I64: out})
	}
	return tensor.Tensor{}, fmt.Errorf("dtype %q is not supported (want float32, float64, int64, int32, uint8 or bool)", h.Descr.Type)
}

func widen[T int32 | uint8](v []T, shape []int) tensor.Tensor {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return tensor.Tensor{DType: tensor.Int64, Shape: shape, I64: out}
}

func checked(t tensor.Tensor) (tensor.Tensor, error) {
	if err := t.Validate(); err != nil {
		return t, fmt.Errorf("truncated or inconsistent array: %w", err)
	}
	return t, nil
}

// Write writes t as a .npy file of its own dtype and shape.
func Write(path string, t tensor.Tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := Encode(w, t); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Encode writes t to w in the .npy format.
func Encode(w io.Writer, t tensor.Tensor) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return npy.Write(w, nested(t))
}

// nested views t's flat values as nested slices of its shape (sharing
// memory), the form npyio writes with the right shape.
func nested(t tensor.Tensor) any {
	var flat reflect.Value
	switch t.DType {
	case tensor.Float32:
		flat = reflect.ValueOf(t.F32)
	case tensor.Float64:
		flat = reflect.ValueOf(t.F64)
	default:
		flat = reflect.ValueOf(t.I64)
	}
	if len(t.Shape) == 0 {
		return flat.Index(0).Interface()
	}
	return nest(flat, t.Shape).Interface()
}

func nest(flat reflect.Value, shape []int) reflect.Value {
	if len(shape) == 1 {
		return flat
	}
	inner := tensor.NumElements(shape[1:])
	typ := flat.Type()
	for range shape[1:] {
		typ = reflect.SliceOf(typ)
	}
	out := reflect.MakeSlice(typ, shape[0], shape[0])
	for i := 0; i < shape[0]; i++ {
		out.Index(i).Set(nest(flat.Slice(i*inner, (i+1)*inner), shape[1:]))
	}
	return out
}

// ReadNPZ reads every array of a .npz archive.
func ReadNPZ(path string) (out map[string]tensor.Tensor, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: not a valid .npz archive: %v", path, p)
		}
	}()
	r, err := npz.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer r.Close()
	out = map[string]tensor.Tensor{}
	for _, key := range r.Keys() {
		h := r.Header(key)
		if h == nil {
			return nil, fmt.Errorf("%s: entry %q has no header", path, key)
		}
		t, err := decodeArray(*h, func(ptr any) error { return r.Read(key, ptr) })
		if err != nil {
			return nil, fmt.Errorf("%s: entry %q: %w", path, key, err)
		}
		name := key
		if len(name) > 4 && name[len(name)-4:] == ".npy" {
			name = name[:len(name)-4]
		}
		out[name] = t
	}
	return out, nil
}
