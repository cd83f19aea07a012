package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/arthost/arthost/shared/tensor"
)

// TestReadDigitsData reads the bundled digits test split the way eval
// does, with and without --limit.
func TestReadDigitsData(t *testing.T) {
	const path = "../../examples/digits/digits_test.npz"
	x, y, err := readData(path, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if x.DType != tensor.Float32 || len(x.Shape) != 4 || x.Shape[0] != 360 || x.Shape[1] != 1 || x.Shape[2] != 8 || x.Shape[3] != 8 {
		t.Errorf("x is %v %v, want float32 [360 1 8 8]", x.DType, x.Shape)
	}
	if y.DType != tensor.Int64 || len(y.Shape) != 1 || y.Shape[0] != 360 {
		t.Errorf("y is %v %v, want int64 [360]", y.DType, y.Shape)
	}
	for i := range x.Len() {
		if v := x.At(i); v < 0 || v > 1 {
			t.Fatalf("x element %d = %v outside [0, 1]", i, v)
		}
	}
	x, y, err = readData(path, "", 50)
	if err != nil || x.Rows() != 50 || y.Rows() != 50 {
		t.Errorf("limit 50: %v rows, %v labels, %v", x.Rows(), y.Rows(), err)
	}
	if _, _, err := readData(path, "y.npy", 0); err == nil {
		t.Error("--labels with an .npz: no error")
	}
	if _, _, err := readData(path, "", -1); err == nil {
		t.Error("negative limit: no error")
	}
}

// TestProgressBarQuietOffTerminal checks that no bar is drawn when the
// output is not a terminal (a buffer or a regular file).
func TestProgressBarQuietOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	if update, done := progressBar(&buf, "pgd"); update != nil {
		t.Error("progress bar on a buffer")
	} else {
		done()
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if update, _ := progressBar(f, "pgd"); update != nil {
		t.Error("progress bar on a regular file")
	}
}
