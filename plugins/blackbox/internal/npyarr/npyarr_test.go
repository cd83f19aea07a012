package npyarr

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"github.com/google/go-cmp/cmp"

	"github.com/arthost/arthost/shared/tensor"
)

const limit = 1 << 20

// ramp recomputes make_fixtures.py's ramp: element i is -1 + 0.25*i.
func ramp(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = -1 + 0.25*float64(i)
	}
	return v
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func TestReadNumpyFixtures(t *testing.T) {
	cases := []struct {
		file string
		want tensor.Tensor
	}{
		{"f4_c.npy", tensor.FromFloat32(f32(ramp(6)), 2, 3)},
		{"f8_c.npy", tensor.FromFloat64(ramp(12), 2, 3, 2)},
		{"f8_fortran.npy", tensor.FromFloat64(ramp(12), 3, 4)},
		{"f4_fortran3d.npy", tensor.FromFloat32(f32(ramp(24)), 2, 3, 4)},
		{"f4_big.npy", tensor.FromFloat32(f32(ramp(5)), 5)},
		{"f8_big.npy", tensor.FromFloat64(ramp(4), 2, 2)},
		{"i4.npy", tensor.FromInt64([]int64{0, 2, 1, 2, 0}, 5)},
		{"i8.npy", tensor.FromInt64([]int64{3, -1}, 2, 1)},
		{"u1.npy", tensor.FromInt64([]int64{0, 255, 7}, 3)},
		{"b1.npy", tensor.FromInt64([]int64{1, 0, 1}, 3)},
		{"f4_v2.npy", tensor.FromFloat32(f32(ramp(4)), 2, 2)},
		{"f4_v3.npy", tensor.FromFloat32(f32(ramp(3)), 3)},
		{"f8_scalar.npy", tensor.FromFloat64([]float64{2.5})},
		{"f4_empty.npy", tensor.FromFloat32([]float32{}, 0, 3)},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("..", "..", "testdata", "npy", c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := Read(f, limit)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got, cmp.Comparer(func(a, b []int) bool { return cmp.Equal(a, b) })); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			// Exactly the file's bytes are consumed.
			if rest, _ := io.ReadAll(f); len(rest) != 0 {
				t.Errorf("%d bytes left unread", len(rest))
			}
		})
	}
}

func TestReadRefused(t *testing.T) {
	for _, file := range []string{"f2.npy", "c8.npy", "u8.npy"} {
		t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "npy", file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Read(bytes.NewReader(b), limit)
			if err == nil || !strings.Contains(err.Error(), "unsupported dtype") {
				t.Fatalf("err = %v, want unsupported dtype", err)
			}
		})
	}
}

func header(dict string) []byte {
	var b bytes.Buffer
	b.Write(npyio.Magic[:])
	b.Write([]byte{1, 0, byte(len(dict)), byte(len(dict) >> 8)})
	b.WriteString(dict)
	return b.Bytes()
}

func TestReadMalformed(t *testing.T) {
	good, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "npy", "f4_c.npy"))
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "unexpected EOF"},
		{"short magic", []byte("\x93NUM"), "unexpected EOF"},
		{"bad magic", []byte("PK\x03\x04xxxxxxxxxx"), "not a .npy"},
		{"bad version", append(append([]byte{}, npyio.Magic[:]...), 9, 0, 0, 0), "format version 9"},
		{"header too long", append(append([]byte{}, npyio.Magic[:]...), 2, 0, 0xff, 0xff, 0xff, 0x7f), "limit"},
		{"truncated header", header("{'descr': '<f4'")[:12], "unexpected EOF"},
		{"no newline", header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"), "newline"},
		{"missing key", header("{'descr': '<f4', 'shape': (2,), }\n"), "missing"},
		{"keys reordered", header("{'shape': (2,), 'fortran_order': False, 'descr': '<f4', }\n"), "order"},
		{"shape not tuple", header("{'descr': '<f4', 'fortran_order': False, 'shape': 2, }\n"), "tuple"},
		{"shape not ints", header("{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }\n"), "header"},
		{"negative dim", header("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n"), "negative"},
		{"huge", header("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }\n"), "limit"},
		{"overflow", header("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }\n"), "limit"},
		{"bad order", header("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }\n"), "fortran_order"},
		{"structured", header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n"), "unsupported dtype"},
		{"object", header("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n"), "unsupported dtype"},
		{"truncated data", good[:len(good)-3], "unexpected EOF"},
		{"no data", good[:128], "unexpected EOF"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(c.in), limit)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

// TestWriteReadByNpyio checks Write against npyio's own reader, an
// independent decoder of the format, and the round trip through Read.
func TestWriteReadByNpyio(t *testing.T) {
	cases := []tensor.Tensor{
		tensor.FromFloat32(f32(ramp(6)), 2, 3),
		tensor.FromFloat64(ramp(24), 2, 3, 4),
		tensor.FromInt64([]int64{4, -7, 1 << 40}, 3),
		tensor.FromFloat64(ramp(1)),
		tensor.FromFloat32([]float32{}, 0, 5),
	}
	for _, want := range cases {
		var buf bytes.Buffer
		if err := Write(&buf, want); err != nil {
			t.Fatal(err)
		}
		if buf.Len()%64 != (tensor.NumElements(want.Shape)*want.DType.Size())%64 {
			t.Errorf("%v: data does not start on a 64-byte boundary (%d bytes)", want.Shape, buf.Len())
		}
		r, err := npyio.NewReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("%v: npyio: %v", want.Shape, err)
		}
		if !cmp.Equal(r.Header.Descr.Shape, want.Shape, cmp.Comparer(func(a, b []int) bool { return len(a) == len(b) && (len(a) == 0 || cmp.Equal(a, b)) })) {
			t.Errorf("npyio shape %v, want %v", r.Header.Descr.Shape, want.Shape)
		}
		switch want.DType {
		case tensor.Float32:
			var v []float32
			if len(want.F32) > 0 {
				if err := r.Read(&v); err != nil || !cmp.Equal(v, want.F32) {
					t.Errorf("npyio read %v, %v; want %v", v, err, want.F32)
				}
			}
		case tensor.Float64:
			var v []float64
			if err := r.Read(&v); err != nil || !cmp.Equal(v, want.F64) {
				t.Errorf("npyio read %v, %v; want %v", v, err, want.F64)
			}
		case tensor.Int64:
			var v []int64
			if err := r.Read(&v); err != nil || !cmp.Equal(v, want.I64) {
				t.Errorf("npyio read %v, %v; want %v", v, err, want.I64)
			}
		}
		got, err := Read(bytes.NewReader(buf.Bytes()), limit)
		if err != nil {
			t.Fatal(err)
		}
		if got.DType != want.DType || !cmp.Equal(got.Float64s(), want.Float64s(), cmp.Comparer(func(a, b []float64) bool { return len(a) == len(b) && (len(a) == 0 || cmp.Equal(a, b)) })) {
			t.Errorf("round trip %v -> %v", want, got)
		}
	}
}

// TestReadStream reads consecutive arrays from one stream, as the command
// source does on a pipe.
func TestReadStream(t *testing.T) {
	var buf bytes.Buffer
	for i := 1; i <= 3; i++ {
		if err := Write(&buf, tensor.FromFloat64(ramp(i*2), i, 2)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 3; i++ {
		got, err := Read(&buf, limit)
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(got.F64, ramp(i*2)) {
			t.Errorf("array %d = %v", i, got.F64)
		}
	}
	if _, err := Read(&buf, limit); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read past the end: %v", err)
	}
}

func TestWriteInvalid(t *testing.T) {
	if err := Write(io.Discard, tensor.Tensor{DType: tensor.Float32, Shape: []int{3}, F32: []float32{1}}); err == nil {
		t.Error("a tensor whose values do not match its shape was written")
	}
}
