// Package table answers queries from recorded predictions: an .npz archive
// holding x (n, *input_shape) and y (n, nb_classes) or (n,) labels, as
// ART's BlackBoxClassifier accepts a tuple of inputs and predictions.
//
// Lookup is exact by default: a query row matches a recorded row when
// every value is equal after numpy's promotion to float64 (so a float32
// query matches a float64 table only where the table's values are exactly
// representable in float32; -0 equals +0). With Fuzzy, a row matches when
// numpy.isclose(query, recorded, rtol, atol) holds for every value, that is
// |query - recorded| <= atol + rtol*|recorded|. An exact match wins;
// otherwise the first matching row in table order answers. A row that
// matches nothing is an InvalidArgument error naming the row.
package table

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"codeberg.org/sbinet/npyio/npz"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/plugins/blackbox/internal/npyarr"
	"github.com/arthost/arthost/shared/tensor"
)

// maxArrayBytes bounds each array of a table, decompressed: an .npz that
// claims more is refused before it is read (a zip bomb stays a zip).
const maxArrayBytes = 1 << 30

// Config sets the lookup.
type Config struct {
	Fuzzy      bool
	RTol, ATol float64 // numpy's defaults 1e-5 and 1e-8 apply when both are 0
}

// Table is a loaded set of recorded predictions. It is read-only after
// Load and safe for concurrent use.
type Table struct {
	x     []float64 // n*w recorded inputs, promoted to float64
	y     tensor.Tensor
	n, w  int
	shape []int // one input row
	exact map[string]int
	cfg   Config
	path  string
}

// Load reads the .npz at path.
func Load(path string, cfg Config) (*Table, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("table: %v", err)
	}
	t, err := Parse(bytes.NewReader(b), int64(len(b)), cfg)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", path, err)
	}
	t.path = path
	return t, nil
}

// Parse reads an .npz of the given size.
func Parse(r io.ReaderAt, size int64, cfg Config) (*Table, error) {
	if cfg.RTol < 0 || cfg.ATol < 0 {
		return nil, fmt.Errorf("rtol %v and atol %v must not be negative", cfg.RTol, cfg.ATol)
	}
	if cfg.RTol == 0 && cfg.ATol == 0 {
		cfg.RTol, cfg.ATol = 1e-5, 1e-8
	}
	z, err := npz.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not an .npz archive: %v", err)
	}
	x, err := array(z, "x")
	if err != nil {
		return nil, err
	}
	y, err := array(z, "y")
	if err != nil {
		return nil, err
	}
	if !x.IsFloat() || len(x.Shape) < 2 {
		return nil, fmt.Errorf("x is %v %v, want float inputs of shape (n, *input_shape)", x.DType, x.Shape)
	}
	if len(y.Shape) == 0 || len(y.Shape) > 2 || y.Shape[0] != x.Shape[0] {
		return nil, fmt.Errorf("y has shape %v, want (%d, nb_classes) or (%d,) for x of shape %v", y.Shape, x.Shape[0], x.Shape[0], x.Shape)
	}
	if i := x.FirstNonFinite(); i >= 0 {
		return nil, fmt.Errorf("x%v is %v", x.Index(i), x.At(i))
	}
	if i := y.FirstNonFinite(); i >= 0 {
		return nil, fmt.Errorf("y%v is %v", y.Index(i), y.At(i))
	}
	t := &Table{x: x.Float64s(), y: y, n: x.Shape[0], w: tensor.NumElements(x.Shape[1:]), shape: x.Shape[1:], cfg: cfg, exact: map[string]int{}}
	for i := t.n - 1; i >= 0; i-- { // first occurrence wins
		t.exact[key(t.x[i*t.w:(i+1)*t.w])] = i
	}
	return t, nil
}

// array reads name (stored as name.npy) from the archive.
func array(z *npz.Reader, name string) (tensor.Tensor, error) {
	var found bool
	for _, k := range z.Keys() {
		found = found || k == name+".npy"
	}
	if !found {
		return tensor.Tensor{}, fmt.Errorf("no array %q (it has %s)", name, strings.Join(z.Keys(), ", "))
	}
	rc, err := z.Open(name + ".npy")
	if err != nil {
		return tensor.Tensor{}, err
	}
	defer rc.Close()
	a, err := npyarr.Read(rc, maxArrayBytes)
	if err != nil {
		return tensor.Tensor{}, fmt.Errorf("array %q: %v", name, err)
	}
	return a, nil
}

// key is the exact-lookup key of a row: its float64 bits, -0 folded to 0.
func key(row []float64) string {
	b := make([]byte, 0, 8*len(row))
	for _, v := range row {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v+0))
	}
	return string(b)
}

// InputShape is the shape of one recorded input.
func (t *Table) InputShape() []int { return append([]int(nil), t.shape...) }

// Rows is the number of recorded predictions.
func (t *Table) Rows() int { return t.n }

// OutputShape is the shape of one recorded prediction: (nb_classes) or ()
// for labels.
func (t *Table) OutputShape() []int { return append([]int(nil), t.y.Shape[1:]...) }

// Query answers each row of x with its recorded prediction.
func (t *Table) Query(ctx context.Context, x tensor.Tensor) (tensor.Tensor, error) {
	if len(x.Shape) == 0 || tensor.NumElements(x.Shape[1:]) != t.w || !x.IsFloat() {
		return tensor.Tensor{}, status.Errorf(codes.InvalidArgument, "table: input %v %v does not match the recorded inputs %v", x.DType, x.Shape, t.shape)
	}
	n := x.Shape[0]
	v := x.Float64s()
	yw := tensor.NumElements(t.y.Shape[1:])
	out := tensor.Tensor{DType: t.y.DType, Shape: append([]int{n}, t.y.Shape[1:]...)}
	for i := 0; i < n; i++ {
		if i%256 == 0 && ctx.Err() != nil {
			return tensor.Tensor{}, status.FromContextError(ctx.Err()).Err()
		}
		j, ok := t.lookup(v[i*t.w : (i+1)*t.w])
		if !ok {
			return tensor.Tensor{}, &MissError{row: i, fuzzy: t.cfg.Fuzzy, path: t.path}
		}
		switch t.y.DType {
		case tensor.Float32:
			out.F32 = append(out.F32, t.y.F32[j*yw:(j+1)*yw]...)
		case tensor.Float64:
			out.F64 = append(out.F64, t.y.F64[j*yw:(j+1)*yw]...)
		case tensor.Int64:
			out.I64 = append(out.I64, t.y.I64[j*yw:(j+1)*yw]...)
		}
	}
	return out, nil
}

// lookup returns the recorded row answering q.
func (t *Table) lookup(q []float64) (int, bool) {
	if j, ok := t.exact[key(q)]; ok {
		return j, true
	}
	if !t.cfg.Fuzzy {
		return 0, false
	}
	for j := 0; j < t.n; j++ {
		if t.isclose(q, t.x[j*t.w:(j+1)*t.w]) {
			return j, true
		}
	}
	return 0, false
}

// isclose is numpy.isclose(q, r).all() with equal_nan=False.
func (t *Table) isclose(q, r []float64) bool {
	for k := range q {
		if math.Abs(q[k]-r[k]) > t.cfg.ATol+t.cfg.RTol*math.Abs(r[k]) {
			return false
		}
	}
	return true
}

// MissError is a query row found nowhere in the table. Its code is
// InvalidArgument.
type MissError struct {
	row   int
	fuzzy bool
	path  string
}

func (e *MissError) Error() string {
	how := "exact lookup; set fuzzy=true for a tolerant one"
	if e.fuzzy {
		how = "fuzzy lookup; widen rtol/atol or record it"
	}
	where := "the table"
	if e.path != "" {
		where = "table " + e.path
	}
	return fmt.Sprintf("row %d of the batch is not in %s (%s)", e.row, where, how)
}

// GRPCStatus gives the error its code across the plugin boundary.
func (e *MissError) GRPCStatus() *status.Status { return status.New(codes.InvalidArgument, e.Error()) }

// Row is the batch row that missed.
func (e *MissError) Row() int { return e.row }

// WithRow returns the same miss reported at another row.
func (e *MissError) WithRow(row int) error {
	c := *e
	c.row = row
	return &c
}
