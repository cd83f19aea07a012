package npyarr

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

// FuzzRead feeds arbitrary bytes to Read: it must never panic, never
// allocate past its limit, and anything it accepts must be a valid tensor
// that survives a Write/Read round trip.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "npy", "*.npy"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Read(bytes.NewReader(b), 1<<16)
		if err != nil {
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("accepted an invalid tensor: %v", err)
		}
		if tensor.NumElements(got.Shape)*got.DType.Size() > 1<<16 {
			t.Fatalf("accepted %v over the limit", got.Shape)
		}
		var buf bytes.Buffer
		if err := Write(&buf, got); err != nil {
			t.Fatal(err)
		}
		again, err := Read(&buf, 1<<16)
		if err != nil {
			t.Fatal(err)
		}
		if again.DType != got.DType || len(again.Shape) != len(got.Shape) || again.Len() != got.Len() {
			t.Fatalf("round trip changed %v %v into %v %v", got.DType, got.Shape, again.DType, again.Shape)
		}
	})
}
