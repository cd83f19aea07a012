package defences

import (
	"fmt"
	"slices"

	"github.com/arthost/arthost/shared/tensor"
)

// checkBatch reports why x is not a float batch of rank at least minRank
// (the batch dimension included).
func checkBatch(name string, x tensor.Tensor, minRank int) error {
	if err := x.Validate(); err != nil {
		return fmt.Errorf("%s: input: %w", name, err)
	}
	if !x.IsFloat() {
		return fmt.Errorf("%s: input dtype %v: want float32 or float64", name, x.DType)
	}
	if len(x.Shape) < minRank {
		return fmt.Errorf("%s: input shape %v: want at least %d dimensions with the batch first", name, x.Shape, minRank)
	}
	return nil
}

// values returns a float64 copy of a float tensor's values.
func values(x tensor.Tensor) []float64 {
	if x.DType == tensor.Float64 {
		return slices.Clone(x.F64)
	}
	return x.Float64s()
}

// withValues returns v as a tensor of the given dtype and shape (rounded
// to float32 when d is Float32).
func withValues(v []float64, d tensor.DType, shape []int) tensor.Tensor {
	t := tensor.FromFloat64(v, shape...)
	if d == tensor.Float32 {
		return t.As(tensor.Float32)
	}
	return t
}

// identityBackward is the BPDA gradient of a defence that keeps the
// input's shape: the gradient passes through unchanged.
func identityBackward(name string, x, grad tensor.Tensor) (tensor.Tensor, error) {
	return backward(name, x, grad, x.Shape[min(1, len(x.Shape)):], func(g []float64) []float64 { return g })
}

// backward checks x and grad, then applies vjp to the gradient, which has
// the defence's output shape (n, out...) or, for class gradients, the
// shape (n, m, out...): vjp then sees each of the m blocks as an
// (n, out...) batch. vjp returns n*prod(x.Shape[1:]) values. The result has
// x's shape (with the m axis kept) and grad's dtype.
func backward(name string, x, grad tensor.Tensor, out []int, vjp func(g []float64) []float64) (tensor.Tensor, error) {
	if err := checkBatch(name, x, 1); err != nil {
		return tensor.Tensor{}, err
	}
	if err := grad.Validate(); err != nil || !grad.IsFloat() {
		return tensor.Tensor{}, fmt.Errorf("%s: gradient %v %v: want a float tensor (%v)", name, grad.DType, grad.Shape, err)
	}
	n, in := x.Shape[0], x.Shape[1:]
	want := append([]int{n}, out...)
	switch {
	case slices.Equal(grad.Shape, want):
		return withValues(vjp(values(grad)), grad.DType, x.Shape), nil
	case len(grad.Shape) == len(want)+1 && grad.Shape[0] == n && slices.Equal(grad.Shape[2:], out):
		m, outLen, inLen := grad.Shape[1], tensor.NumElements(out), tensor.NumElements(in)
		g := values(grad)
		res := make([]float64, n*m*inLen)
		block := make([]float64, n*outLen)
		for j := 0; j < m; j++ {
			for r := 0; r < n; r++ {
				copy(block[r*outLen:(r+1)*outLen], g[(r*m+j)*outLen:])
			}
			b := vjp(slices.Clone(block))
			for r := 0; r < n; r++ {
				copy(res[(r*m+j)*inLen:(r*m+j+1)*inLen], b[r*inLen:])
			}
		}
		return withValues(res, grad.DType, append([]int{n, m}, in...)), nil
	}
	return tensor.Tensor{}, fmt.Errorf("%s: gradient shape %v does not match the output shape %v (or (n, m, ...) for class gradients)", name, grad.Shape, want)
}

// channelAxis returns the index of the channel axis of a batch of the given
// rank, and an error when the rank is outside [minRank, maxRank].
func channelAxis(name string, shape []int, channelsFirst bool, minRank, maxRank int) (int, error) {
	if len(shape) < minRank || len(shape) > maxRank {
		return 0, fmt.Errorf("%s: input shape %v: want %d to %d dimensions (batch, spatial and channel axes)", name, shape, minRank, maxRank)
	}
	if channelsFirst {
		return 1, nil
	}
	return len(shape) - 1, nil
}
