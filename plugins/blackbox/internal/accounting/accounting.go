// Package accounting puts query accounting in front of a black-box
// prediction source: it counts every input row sent, refuses rows past a
// budget with ResourceExhausted, sends identical rows of one batch once,
// answers repeated rows from an LRU cache, and splits what remains into
// source requests of at most BatchSize rows sent concurrently.
//
// A query is one input row handed to the source. It is counted when it is
// sent, whether or not the source answers, since a remote server may have
// seen it; rows answered by deduplication or the cache cost nothing.
package accounting

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// Source answers a batch of input rows (n, *input_shape) with one output
// row per input, shape (n, ...). It may be called concurrently.
type Source interface {
	Query(ctx context.Context, x tensor.Tensor) (tensor.Tensor, error)
}

// RowError is implemented by source errors that concern one row of the
// batch the source was given (a table miss). The accountant rewrites the
// row to its index in the caller's batch.
type RowError interface {
	error
	Row() int
	WithRow(row int) error
}

// Config sets the accounting. The zero value counts queries with no
// budget, no cache, one request per batch and no parallelism.
type Config struct {
	// Budget is the number of queries allowed; 0 means unlimited.
	Budget int64
	// CacheSize is the number of answers kept; 0 disables the cache.
	CacheSize int
	// BatchSize is the most rows in one source request; 0 means no split.
	BatchSize int
	// Parallel is the most source requests of one call in flight; at least 1.
	Parallel int
}

// Stats are the counters since the accountant was made.
type Stats struct {
	Queries      int64 // rows sent to the source
	Requests     int64 // source calls made
	CacheHits    int64 // rows answered by the cache
	Deduplicated int64 // rows answered by an identical row of the same batch
}

// Accountant counts and filters the queries sent to one source.
type Accountant struct {
	src Source
	cfg Config

	mu       sync.Mutex
	stats    Stats
	cache    *lru
	rowShape []int // shape of one answer, known after the first request
}

// New returns an accountant in front of src.
func New(src Source, cfg Config) *Accountant {
	if cfg.Parallel < 1 {
		cfg.Parallel = 1
	}
	return &Accountant{src: src, cfg: cfg, cache: newLRU(cfg.CacheSize)}
}

// Stats returns a snapshot of the counters.
func (a *Accountant) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}

// Remaining is the number of queries left, or -1 without a budget.
func (a *Accountant) Remaining() int64 {
	if a.cfg.Budget <= 0 {
		return -1
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg.Budget - a.stats.Queries
}

// Query answers every row of x (n, *input_shape), float32 or float64, and
// returns the answers as float64 with shape (n, *output_row_shape). When
// the rows still to send exceed the remaining budget, nothing is sent and
// the error has code ResourceExhausted.
func (a *Accountant) Query(ctx context.Context, x tensor.Tensor) (tensor.Tensor, error) {
	if err := x.Validate(); err != nil || len(x.Shape) == 0 || !x.IsFloat() {
		return tensor.Tensor{}, sdk.InvalidArgumentf("query: input %v %v is not a float batch", x.DType, x.Shape)
	}
	p, err := a.plan(x)
	if err != nil {
		return tensor.Tensor{}, err
	}
	sent, rowShape, err := a.dispatch(ctx, x, p.send)
	if err != nil {
		return tensor.Tensor{}, err
	}
	a.mu.Lock()
	if len(p.send) > 0 {
		a.rowShape = rowShape
	}
	for j, i := range p.send {
		a.cache.put(p.keys[i], sent[j])
	}
	a.mu.Unlock()
	return p.assemble(sent, rowShape)
}

// plan says how each row of a batch is answered.
type plan struct {
	keys    []string
	answers [][]float64 // cached answers, by row
	via     []int       // row -> index into send, or -1 when cached
	send    []int       // rows to send: unique and not cached
}

// plan looks rows up in the cache and in the batch itself, and reserves
// the queries the rest will cost, or refuses the batch over the budget.
func (a *Accountant) plan(x tensor.Tensor) (plan, error) {
	n := x.Shape[0]
	p := plan{keys: rowKeys(x), answers: make([][]float64, n), via: make([]int, n)}
	first := map[string]int{} // key -> index into send
	var hits, dups int64
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, k := range p.keys {
		if row, ok := a.cache.get(k); ok {
			p.answers[i], p.via[i] = row, -1
			hits++
		} else if j, ok := first[k]; ok {
			p.via[i] = j
			dups++
		} else {
			first[k] = len(p.send)
			p.via[i] = len(p.send)
			p.send = append(p.send, i)
		}
	}
	if b := a.cfg.Budget; b > 0 && a.stats.Queries+int64(len(p.send)) > b {
		return plan{}, sdk.ResourceExhaustedf("query budget of %d exhausted: %d used, this batch needs %d more", b, a.stats.Queries, len(p.send))
	}
	a.stats.Queries += int64(len(p.send))
	a.stats.CacheHits += hits
	a.stats.Deduplicated += dups
	return p, nil
}

// assemble lays the cached and sent answers out in the batch's order.
func (p plan) assemble(sent [][]float64, rowShape []int) (tensor.Tensor, error) {
	n := len(p.keys)
	width := tensor.NumElements(rowShape)
	out := tensor.Tensor{DType: tensor.Float64, Shape: append([]int{n}, rowShape...), F64: make([]float64, 0, n*width)}
	for i, row := range p.answers {
		if p.via[i] >= 0 {
			row = sent[p.via[i]]
		}
		if len(row) != width {
			return tensor.Tensor{}, fmt.Errorf("query: cached answer for row %d has %d values, the source now gives %d", i, len(row), width)
		}
		out.F64 = append(out.F64, row...)
	}
	return out, nil
}

// dispatch sends rows send of x in chunks of BatchSize, Parallel at a
// time, and returns one answer per sent row with the shape of one answer.
// With nothing to send it returns the shape learnt earlier.
func (a *Accountant) dispatch(ctx context.Context, x tensor.Tensor, send []int) ([][]float64, []int, error) {
	if len(send) == 0 {
		return nil, a.cachedShape(), nil
	}
	chunk := a.cfg.BatchSize
	if chunk <= 0 || chunk > len(send) {
		chunk = len(send)
	}
	nChunks := (len(send) + chunk - 1) / chunk
	results := make([]tensor.Tensor, nChunks)
	errs := make([]error, nChunks)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, a.cfg.Parallel)
	var wg sync.WaitGroup
	for c := 0; c < nChunks; c++ {
		lo, hi := c*chunk, min((c+1)*chunk, len(send))
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[c], errs[c] = a.request(ctx, gather(x, send[lo:hi]))
			if errs[c] != nil {
				if re, ok := errors.AsType[RowError](errs[c]); ok && re.Row() >= 0 && re.Row() < hi-lo {
					errs[c] = re.WithRow(send[lo+re.Row()])
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	if err := firstFailure(errs); err != nil {
		return nil, nil, err
	}
	return splitRows(results)
}

// firstFailure returns the failure that stopped a call rather than the
// cancellations it caused in the other requests.
func firstFailure(errs []error) error {
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if !errors.Is(err, context.Canceled) && status.Code(err) != codes.Canceled {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// splitRows cuts the answers of each request into rows, checking that
// every request answered rows of one shape.
func splitRows(results []tensor.Tensor) ([][]float64, []int, error) {
	rowShape := results[0].Shape[1:]
	w := tensor.NumElements(rowShape)
	var out [][]float64
	for c, r := range results {
		if !sameInts(r.Shape[1:], rowShape) {
			return nil, nil, fmt.Errorf("query: source answered request %d with rows of shape %v, request 0 with %v", c, r.Shape[1:], rowShape)
		}
		v := r.Float64s()
		for i := 0; i < r.Shape[0]; i++ {
			out = append(out, v[i*w:(i+1)*w:(i+1)*w])
		}
	}
	return out, rowShape, nil
}

// request makes one source call and checks that it answers every row.
func (a *Accountant) request(ctx context.Context, x tensor.Tensor) (tensor.Tensor, error) {
	a.mu.Lock()
	a.stats.Requests++
	a.mu.Unlock()
	y, err := a.src.Query(ctx, x)
	if err != nil {
		return tensor.Tensor{}, err
	}
	if err := y.Validate(); err != nil {
		return tensor.Tensor{}, fmt.Errorf("query: source answer: %w", err)
	}
	if len(y.Shape) == 0 || y.Shape[0] != x.Shape[0] {
		return tensor.Tensor{}, fmt.Errorf("query: source answered %d inputs with shape %v", x.Shape[0], y.Shape)
	}
	if i := y.FirstNonFinite(); i >= 0 {
		return tensor.Tensor{}, fmt.Errorf("query: source answered row %d with a non-finite value %v", y.Index(i)[0], y.At(i))
	}
	return y, nil
}

// cachedShape is the shape of one answer, learnt from the first request;
// a batch answered wholly from the cache needs it.
func (a *Accountant) cachedShape() []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rowShape
}

// gather copies rows idx of x into a new batch.
func gather(x tensor.Tensor, idx []int) tensor.Tensor {
	w := tensor.NumElements(x.Shape[1:])
	out := tensor.Tensor{DType: x.DType, Shape: append([]int{len(idx)}, x.Shape[1:]...)}
	for _, i := range idx {
		switch x.DType {
		case tensor.Float32:
			out.F32 = append(out.F32, x.F32[i*w:(i+1)*w]...)
		case tensor.Float64:
			out.F64 = append(out.F64, x.F64[i*w:(i+1)*w]...)
		}
	}
	return out
}

// rowKeys returns, per row, its dtype and value bits: identical rows have
// identical keys. -0 is folded into +0, which every model treats alike.
func rowKeys(x tensor.Tensor) []string {
	n := x.Shape[0]
	w := tensor.NumElements(x.Shape[1:])
	keys := make([]string, n)
	buf := make([]byte, 1, 1+w*x.DType.Size())
	for i := 0; i < n; i++ {
		buf = buf[:1]
		buf[0] = byte(x.DType)
		for j := i * w; j < (i+1)*w; j++ {
			if x.DType == tensor.Float32 {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x.F32[j]+0))
			} else {
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x.F64[j]+0))
			}
		}
		keys[i] = string(buf)
	}
	return keys
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
