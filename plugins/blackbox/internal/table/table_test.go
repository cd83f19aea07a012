package table

import (
	"bytes"
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/shared/tensor"
)

func fixture(name string) string { return filepath.Join("..", "..", "testdata", name) }

// recorded recomputes make_fixtures.py: x[i][j] = -1.5 + 0.125*(4i+j);
// probabilities are 0.8*onehot(i%3) + 0.2/3, labels i%3.
func recorded(i int) []float64 {
	row := make([]float64, 4)
	for j := range row {
		row[j] = -1.5 + 0.125*float64(4*i+j)
	}
	return row
}

func query(rows ...[]float64) tensor.Tensor {
	var v []float64
	for _, r := range rows {
		v = append(v, r...)
	}
	return tensor.FromFloat64(v, len(rows), 4)
}

func shifted(r []float64, by float64) []float64 {
	out := append([]float64(nil), r...)
	for i := range out {
		out[i] += by
	}
	return out
}

func TestExactHits(t *testing.T) {
	tb, err := Load(fixture("table_probs_f4.npz"), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Rows() != 6 || len(tb.InputShape()) != 1 || tb.InputShape()[0] != 4 || tb.OutputShape()[0] != 3 {
		t.Fatalf("table of %d rows, input %v, output %v", tb.Rows(), tb.InputShape(), tb.OutputShape())
	}
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
		y, err := tb.Query(context.Background(), query(recorded(3), recorded(0), recorded(5), recorded(3)).As(dt))
		if err != nil {
			t.Fatal(err)
		}
		if y.DType != tensor.Float32 || len(y.Shape) != 2 || y.Shape[0] != 4 || y.Shape[1] != 3 {
			t.Fatalf("answer %v %v", y.DType, y.Shape)
		}
		for r, i := range []int{3, 0, 5, 3} {
			for c := 0; c < 3; c++ {
				want := 0.2 / 3
				if c == i%3 {
					want += 0.8
				}
				if got := y.At(3*r + c); math.Abs(got-want) > 1e-7 {
					t.Errorf("%v row %d class %d: %v, want %v", dt, r, c, got, want)
				}
			}
		}
	}
}

func TestLabelsAndNegativeZero(t *testing.T) {
	tb, err := Load(fixture("table_labels_f8.npz"), Config{})
	if err != nil {
		t.Fatal(err)
	}
	zero := recorded(3) // element 0 of row 3 is -1.5+1.5 = 0
	zero[0] = math.Copysign(0, -1)
	y, err := tb.Query(context.Background(), query(recorded(4), zero))
	if err != nil {
		t.Fatal(err)
	}
	if y.DType != tensor.Int64 || len(y.Shape) != 1 || y.I64[0] != 1 || y.I64[1] != 0 {
		t.Errorf("labels %v %v, want [1 0]", y.Shape, y.I64)
	}
}

func TestMiss(t *testing.T) {
	tb, err := Load(fixture("table_labels_f8.npz"), Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tb.Query(context.Background(), query(recorded(1), shifted(recorded(2), 1e-9)))
	var miss *MissError
	if !errors.As(err, &miss) || miss.Row() != 1 || status.Code(err) != codes.InvalidArgument {
		t.Fatalf("err = %v, want an InvalidArgument miss at row 1", err)
	}
	for _, want := range []string{"row 1 of the batch", "table_labels_f8.npz", "fuzzy=true"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// A float32 query of float64 values that float32 cannot hold misses:
	// numpy compares in float64.
	odd := []float64{0.1, 0.2, 0.3, 0.4}
	tb2 := build(t, [][]float64{odd}, []int64{2}, Config{})
	if _, err := tb2.Query(context.Background(), query(odd).As(tensor.Float32)); err == nil {
		t.Error("float32(0.1) matched float64 0.1 exactly")
	}
	if _, err := tb2.Query(context.Background(), query(odd)); err != nil {
		t.Error(err)
	}
}

func TestFuzzy(t *testing.T) {
	tb, err := Load(fixture("table_labels_f8.npz"), Config{Fuzzy: true})
	if err != nil {
		t.Fatal(err)
	}
	y, err := tb.Query(context.Background(), query(shifted(recorded(2), 1e-9), shifted(recorded(4), -5e-6)))
	if err != nil {
		t.Fatal(err)
	}
	if y.I64[0] != 2 || y.I64[1] != 1 {
		t.Errorf("fuzzy hits %v, want [2 1]", y.I64)
	}
	if _, err := tb.Query(context.Background(), query(shifted(recorded(4), 1e-3))); !strings.Contains(fmt_(err), "widen rtol/atol") {
		t.Errorf("far row: %v", err)
	}
}

func fmt_(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestIsCloseBoundary pins numpy's formula |q - r| <= atol + rtol*|r|,
// where the tolerance scales with the recorded value r.
func TestIsCloseBoundary(t *testing.T) {
	const rtol, atol = 1e-3, 1e-4
	r := []float64{10, -4, 0.5, 0}
	tb := build(t, [][]float64{r}, []int64{1}, Config{Fuzzy: true, RTol: rtol, ATol: atol})
	edge := func(scale float64) []float64 {
		q := make([]float64, 4)
		for i, v := range r {
			q[i] = v + scale*(atol+rtol*math.Abs(v))
		}
		return q
	}
	if _, err := tb.Query(context.Background(), query(edge(0.999))); err != nil {
		t.Errorf("inside the tolerance: %v", err)
	}
	if _, err := tb.Query(context.Background(), query(edge(-0.999))); err != nil {
		t.Errorf("inside the tolerance below: %v", err)
	}
	if _, err := tb.Query(context.Background(), query(edge(1.001))); err == nil {
		t.Error("outside the tolerance matched")
	}
}

func TestFirstMatchAndExactWins(t *testing.T) {
	a := []float64{1, 1, 1, 1}
	b := []float64{1 + 1e-7, 1, 1, 1}
	tb := build(t, [][]float64{a, b, a}, []int64{0, 1, 2}, Config{Fuzzy: true})
	y, err := tb.Query(context.Background(), query(b, a, []float64{1 + 5e-8, 1, 1, 1}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{1, 0, 0}; y.I64[0] != want[0] || y.I64[1] != want[1] || y.I64[2] != want[2] {
		t.Errorf("answers %v, want %v (exact wins, then the first close row)", y.I64, want)
	}
}

func TestBadTables(t *testing.T) {
	cases := map[string]string{
		"table_no_y.npz":          `no array "y"`,
		"table_rows_mismatch.npz": "y has shape [5]",
		"npy/f4_c.npy":            "not an .npz archive",
		"missing.npz":             "no such file",
	}
	for name, want := range cases {
		if _, err := Load(fixture(name), Config{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
	var buf bytes.Buffer
	w := npz.NewWriter(&buf)
	w.Write("x.npy", []int64{1, 2})
	w.Write("y.npy", []int64{1, 2})
	w.Close()
	if _, err := Parse(bytes.NewReader(buf.Bytes()), int64(buf.Len()), Config{}); err == nil || !strings.Contains(err.Error(), "want float inputs") {
		t.Errorf("integer x: %v", err)
	}
	if _, err := Load(fixture("table_labels_f8.npz"), Config{RTol: -1}); err == nil {
		t.Error("negative rtol accepted")
	}
}

func TestQueryShapeChecked(t *testing.T) {
	tb, err := Load(fixture("table_labels_f8.npz"), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Query(context.Background(), tensor.New(tensor.Float64, 2, 5)); status.Code(err) != codes.InvalidArgument {
		t.Errorf("wrong width: %v", err)
	}
}

// build writes an .npz with npyio's writer and parses it.
func build(t *testing.T, x [][]float64, y []int64, cfg Config) *Table {
	t.Helper()
	var flat []float64
	for _, r := range x {
		flat = append(flat, r...)
	}
	var buf bytes.Buffer
	w := npz.NewWriter(&buf)
	if err := w.Write("x.npy", reshape(flat, len(x))); err != nil {
		t.Fatal(err)
	}
	if err := w.Write("y.npy", y); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	tb, err := Parse(bytes.NewReader(buf.Bytes()), int64(buf.Len()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// reshape makes a [][]float64 that npyio writes with shape (n, w).
func reshape(flat []float64, n int) [][]float64 {
	w := len(flat) / n
	out := make([][]float64, n)
	for i := range out {
		out[i] = flat[i*w : (i+1)*w]
	}
	return out
}
