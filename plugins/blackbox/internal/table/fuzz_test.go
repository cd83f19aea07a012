package table

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

// FuzzParse feeds arbitrary bytes to the .npz table loader: it must never
// panic, and a table it accepts must answer its own first row.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "*.npz"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tb, err := Parse(bytes.NewReader(b), int64(len(b)), Config{})
		if err != nil {
			return
		}
		if tb.Rows() == 0 {
			return
		}
		x := tensor.FromFloat64(append([]float64(nil), tb.x[:tb.w]...), append([]int{1}, tb.shape...)...)
		y, err := tb.Query(context.Background(), x)
		if err != nil {
			t.Fatalf("a recorded row missed: %v", err)
		}
		if err := y.Validate(); err != nil || y.Shape[0] != 1 {
			t.Fatalf("answer %v: %v", y.Shape, err)
		}
	})
}
