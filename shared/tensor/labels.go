package tensor

import (
	"fmt"
	"math"
)

// Labels is the canonical form of classification labels: every row has a
// class index and a probability row. Index labels become one-hot rows;
// one-hot or soft rows get their argmax as index.
type Labels struct {
	N, K  int
	Index []int     // class of each row
	Prob  []float64 // n*k, row-major; sums to 1 per row
}

// NormalizeLabels reads labels as class indices (integer dtype, shape (n,)
// or (n,1) of whole floats) or one-hot / soft rows (float, shape (n,k)) for
// n samples and k classes. It names the first offending value.
func NormalizeLabels(y Tensor, n, k int) (Labels, error) {
	if err := y.Validate(); err != nil {
		return Labels{}, fmt.Errorf("labels: %w", err)
	}
	if k <= 0 {
		return Labels{}, fmt.Errorf("labels: model has %d classes", k)
	}
	if len(y.Shape) == 0 || y.Shape[0] != n {
		return Labels{}, fmt.Errorf("labels: shape %v does not match %d samples", y.Shape, n)
	}
	l := Labels{N: n, K: k, Index: make([]int, n), Prob: make([]float64, n*k)}
	switch {
	case len(y.Shape) == 1 || (len(y.Shape) == 2 && y.Shape[1] == 1 && k != 1):
		for i := 0; i < n; i++ {
			v := y.At(i)
			if v != math.Trunc(v) || math.IsNaN(v) {
				return Labels{}, fmt.Errorf("labels: row %d is %v, not a class index", i, v)
			}
			if v < 0 || v >= float64(k) {
				return Labels{}, fmt.Errorf("labels: row %d is class %v, out of range [0,%d)", i, v, k)
			}
			l.Index[i] = int(v)
			l.Prob[i*k+int(v)] = 1
		}
	case len(y.Shape) == 2 && y.Shape[1] == k:
		if !y.IsFloat() && y.DType != Int64 {
			return Labels{}, fmt.Errorf("labels: dtype %v", y.DType)
		}
		for i := 0; i < n; i++ {
			best, sum := 0, 0.0
			for j := 0; j < k; j++ {
				v := y.At(i*k + j)
				if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
					return Labels{}, fmt.Errorf("labels: row %d column %d is %v, not a probability", i, j, v)
				}
				l.Prob[i*k+j] = v
				sum += v
				if v > l.Prob[i*k+best] {
					best = j
				}
			}
			if math.Abs(sum-1) > 1e-4 {
				return Labels{}, fmt.Errorf("labels: row %d sums to %v, want 1 (one-hot or probabilities)", i, sum)
			}
			l.Index[i] = best
		}
	default:
		return Labels{}, fmt.Errorf("labels: shape %v, want (%d,) indices or (%d, %d) one-hot", y.Shape, n, n, k)
	}
	return l, nil
}

// IndexTensor returns the labels as an int64 tensor of shape (n,).
func (l Labels) IndexTensor() Tensor {
	v := make([]int64, l.N)
	for i, c := range l.Index {
		v[i] = int64(c)
	}
	return FromInt64(v, l.N)
}
