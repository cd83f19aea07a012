package accounting

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/shared/tensor"
)

// fakeSource answers each row with (sum of the row, number of the call)
// and records the rows it was sent.
type fakeSource struct {
	mu       sync.Mutex
	calls    int
	rows     [][]float64
	inFlight int
	maxSeen  int
	fail     func(row []float64) bool // rows answered with a rowErr
	answer   func(x tensor.Tensor) (tensor.Tensor, error)
}

type rowErr struct{ row int }

func (e rowErr) Error() string         { return fmt.Sprintf("row %d missing", e.row) }
func (e rowErr) Row() int              { return e.row }
func (e rowErr) WithRow(r int) error   { return rowErr{r} }
func (s *fakeSource) sentRows() int    { s.mu.Lock(); defer s.mu.Unlock(); return len(s.rows) }
func (s *fakeSource) callCount() int   { s.mu.Lock(); defer s.mu.Unlock(); return s.calls }
func (s *fakeSource) maxInFlight() int { s.mu.Lock(); defer s.mu.Unlock(); return s.maxSeen }

func (s *fakeSource) Query(ctx context.Context, x tensor.Tensor) (tensor.Tensor, error) {
	s.mu.Lock()
	s.calls++
	s.inFlight++
	s.maxSeen = max(s.maxSeen, s.inFlight)
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.inFlight--; s.mu.Unlock() }()
	if s.answer != nil {
		return s.answer(x)
	}
	n, w := x.Shape[0], tensor.NumElements(x.Shape[1:])
	v := x.Float64s()
	out := tensor.New(tensor.Float64, n, 2)
	for i := 0; i < n; i++ {
		row := v[i*w : (i+1)*w]
		if s.fail != nil && s.fail(row) {
			return tensor.Tensor{}, rowErr{i}
		}
		s.mu.Lock()
		s.rows = append(s.rows, row)
		s.mu.Unlock()
		for _, r := range row {
			out.F64[2*i] += r
		}
		out.F64[2*i+1] = 1
	}
	return out, nil
}

func batch(rows ...float64) tensor.Tensor {
	v := make([]float64, 0, 2*len(rows))
	for _, r := range rows {
		v = append(v, r, 10*r)
	}
	return tensor.FromFloat64(v, len(rows), 2)
}

// sums is the fake source's answer column for batch(rows...).
func checkSums(t *testing.T, got tensor.Tensor, rows ...float64) {
	t.Helper()
	if len(got.Shape) != 2 || got.Shape[0] != len(rows) || got.Shape[1] != 2 {
		t.Fatalf("answer shape %v, want [%d 2]", got.Shape, len(rows))
	}
	for i, r := range rows {
		if want := 11 * r; math.Abs(got.F64[2*i]-want) > 1e-12 {
			t.Errorf("row %d answered %v, want %v", i, got.F64[2*i], want)
		}
	}
}

func TestCountAndDedup(t *testing.T) {
	src := &fakeSource{}
	a := New(src, Config{})
	got, err := a.Query(context.Background(), batch(1, 2, 1, 3, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	checkSums(t, got, 1, 2, 1, 3, 2, 1)
	if src.sentRows() != 3 {
		t.Errorf("source saw %d rows, want 3 distinct", src.sentRows())
	}
	want := Stats{Queries: 3, Requests: 1, Deduplicated: 3}
	if st := a.Stats(); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}

func TestZeroSignAndDTypeKeys(t *testing.T) {
	src := &fakeSource{}
	a := New(src, Config{})
	x := tensor.FromFloat64([]float64{0, 1, math.Copysign(0, -1), 1}, 2, 2)
	if _, err := a.Query(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if src.sentRows() != 1 {
		t.Errorf("-0 and +0 rows sent separately (%d rows)", src.sentRows())
	}
	x32 := tensor.FromFloat32([]float32{0, 1}, 1, 2)
	if _, err := a.Query(context.Background(), x32); err != nil {
		t.Fatal(err)
	}
	if src.sentRows() != 2 {
		t.Errorf("a float32 row was answered for a float64 row")
	}
}

func TestCacheLRU(t *testing.T) {
	src := &fakeSource{}
	a := New(src, Config{CacheSize: 2})
	ctx := context.Background()
	// 1 is used again on the second call, so adding 3 evicts 2.
	for _, b := range [][]float64{{1, 2}, {1, 3}} {
		if got, err := a.Query(ctx, batch(b...)); err != nil {
			t.Fatal(err)
		} else {
			checkSums(t, got, b...)
		}
	}
	if got := src.sentRows(); got != 3 {
		t.Fatalf("sent %d rows, want 3 (1 cached on the second call)", got)
	}
	// Cache now holds 1 and 3; 2 was evicted.
	got, err := a.Query(ctx, batch(3, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	checkSums(t, got, 3, 1, 2)
	if got := src.sentRows(); got != 4 {
		t.Errorf("sent %d rows, want 4 (only the evicted row again)", got)
	}
	if st := a.Stats(); st.CacheHits != 3 || st.Queries != 4 {
		t.Errorf("stats %+v, want 3 hits and 4 queries", st)
	}
	// A batch answered only from the cache keeps the answer shape.
	got, err = a.Query(ctx, batch(1, 2))
	if err != nil || len(got.Shape) != 2 || got.Shape[1] != 2 {
		t.Fatalf("all-cached answer %v, %v", got.Shape, err)
	}
	checkSums(t, got, 1, 2)
}

func TestBudget(t *testing.T) {
	src := &fakeSource{}
	a := New(src, Config{Budget: 5, CacheSize: 10})
	ctx := context.Background()
	if _, err := a.Query(ctx, batch(1, 2, 3)); err != nil {
		t.Fatal(err)
	}
	_, err := a.Query(ctx, batch(4, 5, 6))
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "budget of 5") {
		t.Fatalf("over budget: %v", err)
	}
	if src.callCount() != 1 {
		t.Errorf("a refused batch reached the source")
	}
	if _, err := a.Query(ctx, batch(4, 5, 1)); err != nil { // 1 is cached: 2 new rows fit
		t.Fatalf("batch within budget refused: %v", err)
	}
	if r := a.Remaining(); r != 0 {
		t.Errorf("remaining %d, want 0", r)
	}
	if _, err := a.Query(ctx, batch(2, 5)); err != nil {
		t.Errorf("cached rows refused after the budget was spent: %v", err)
	}
	if _, err := a.Query(ctx, batch(7)); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("query past the budget: %v", err)
	}
}

func TestChunksAndParallelism(t *testing.T) {
	src := &fakeSource{}
	a := New(src, Config{BatchSize: 2, Parallel: 2})
	rows := []float64{1, 2, 3, 4, 5, 6, 7}
	got, err := a.Query(context.Background(), batch(rows...))
	if err != nil {
		t.Fatal(err)
	}
	checkSums(t, got, rows...)
	if st := a.Stats(); st.Requests != 4 || st.Queries != 7 {
		t.Errorf("stats %+v, want 4 requests for 7 rows in chunks of 2", st)
	}
	if m := src.maxInFlight(); m > 2 {
		t.Errorf("%d requests in flight, limit 2", m)
	}
}

func TestRowErrorNamesCallersRow(t *testing.T) {
	src := &fakeSource{fail: func(r []float64) bool { return r[0] == 9 }}
	a := New(src, Config{BatchSize: 2, CacheSize: 4})
	ctx := context.Background()
	if _, err := a.Query(ctx, batch(1)); err != nil {
		t.Fatal(err)
	}
	// Source batches: [2 3] [9]; 1 is cached and the repeated 2 deduplicated.
	_, err := a.Query(ctx, batch(1, 2, 2, 3, 9))
	var re rowErr
	if !errors.As(err, &re) || re.row != 4 {
		t.Fatalf("err = %v, want the miss reported at row 4", err)
	}
}

func TestBadAnswers(t *testing.T) {
	cases := []struct {
		name   string
		answer func(x tensor.Tensor) (tensor.Tensor, error)
		want   string
	}{
		{"too few rows", func(x tensor.Tensor) (tensor.Tensor, error) {
			return tensor.New(tensor.Float64, x.Shape[0]-1, 2), nil
		}, "answered 3 inputs with shape [2 2]"},
		{"scalar", func(x tensor.Tensor) (tensor.Tensor, error) {
			return tensor.FromFloat64([]float64{1}), nil
		}, "answered 3 inputs"},
		{"invalid", func(x tensor.Tensor) (tensor.Tensor, error) {
			return tensor.Tensor{DType: tensor.Float64, Shape: []int{3, 2}}, nil
		}, "0 values for shape"},
		{"nan", func(x tensor.Tensor) (tensor.Tensor, error) {
			y := tensor.New(tensor.Float64, x.Shape[0], 2)
			y.F64[3] = math.NaN()
			return y, nil
		}, "row 1 with a non-finite value"},
		{"error", func(x tensor.Tensor) (tensor.Tensor, error) {
			return tensor.Tensor{}, errors.New("boom")
		}, "boom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := New(&fakeSource{answer: c.answer}, Config{})
			_, err := a.Query(context.Background(), batch(1, 2, 3))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if a.Stats().Queries != 3 {
				t.Errorf("rows sent but not answered were not counted")
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	a := New(&fakeSource{}, Config{})
	for _, x := range []tensor.Tensor{
		{},
		tensor.FromInt64([]int64{1, 2}, 2, 1),
		tensor.FromFloat64([]float64{1}),
		{DType: tensor.Float32, Shape: []int{2, 2}, F32: []float32{1}},
	} {
		if _, err := a.Query(context.Background(), x); status.Code(err) != codes.InvalidArgument {
			t.Errorf("input %v %v: err = %v, want InvalidArgument", x.DType, x.Shape, err)
		}
	}
}

func TestConcurrentCallsCountExactly(t *testing.T) {
	src := &fakeSource{}
	a := New(src, Config{Budget: 100, BatchSize: 3, Parallel: 2})
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := make([]float64, 20)
			for i := range rows {
				rows[i] = float64(100*g + i)
			}
			if _, err := a.Query(context.Background(), batch(rows...)); err != nil {
				mu.Lock()
				refused++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if refused != 3 || a.Stats().Queries != 100 || src.sentRows() != 100 {
		t.Errorf("%d refused, %d counted, %d sent; want 3 refused and 100 sent", refused, a.Stats().Queries, src.sentRows())
	}
}

// TestFailureNotMaskedByCancellations: when one request fails, the others
// are cancelled, and the error reported is the failure.
func TestFailureNotMaskedByCancellations(t *testing.T) {
	src := &fakeSource{answer: func(x tensor.Tensor) (tensor.Tensor, error) {
		if x.F64[0] == 9 {
			return tensor.Tensor{}, errors.New("server said no")
		}
		return tensor.Tensor{}, status.Error(codes.Canceled, "context canceled")
	}}
	a := New(src, Config{BatchSize: 1, Parallel: 3})
	for i := 0; i < 20; i++ {
		_, err := a.Query(context.Background(), batch(1, 2, 9, 3))
		if err == nil || err.Error() != "server said no" {
			t.Fatalf("err = %v, want the failure", err)
		}
	}
}
