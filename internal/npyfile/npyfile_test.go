package npyfile

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/arthost/arthost/shared/tensor"
)

func TestRoundTrip(t *testing.T) {
	cases := map[string]tensor.Tensor{
		"float32 3d": tensor.FromFloat32([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 2, 3, 2),
		"float64 1d": tensor.FromFloat64([]float64{0.5, -1e300}, 2),
		"int64 2d":   tensor.FromInt64([]int64{1, 2, 3, 4, 5, 6}, 3, 2),
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.npy")
			if err := Write(path, want); err != nil {
				t.Fatal(err)
			}
			got, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeRefusesGarbage(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":     nil,
		"not npy":   []byte("hello world, not an array"),
		"truncated": []byte("\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (100, 100), }"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(bytes.NewReader(data)); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	if err := Encode(&buf, tensor.FromFloat32([]float32{1, 2, 3, 4}, 2, 2)); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := Decode(bytes.NewReader(data))
		if err == nil {
			if err := x.Validate(); err != nil {
				t.Fatalf("decoded an invalid tensor: %v", err)
			}
		}
	})
}
