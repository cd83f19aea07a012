package main

import (
	"fmt"
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/shared/tensor"
)

// toND converts a float32 or float64 tensor to the runtime's float32.
func toND(x tensor.Tensor) (*nd.Array, error) {
	shape := append([]int(nil), x.Shape...)
	switch x.DType {
	case tensor.Float32:
		return nd.FromF(x.F32, shape...), nil
	case tensor.Float64:
		f := make([]float32, len(x.F64))
		for i, v := range x.F64 {
			f[i] = float32(v)
		}
		return nd.FromF(f, shape...), nil
	}
	return nil, fmt.Errorf("input dtype %s: want float32 or float64", x.DType)
}

// fromND copies a float32 array into a new tensor of dtype dt with shape
// (a copy, since the array may be a model constant or an arena buffer).
func fromND(a *nd.Array, dt tensor.DType, shape ...int) tensor.Tensor {
	if dt == tensor.Float64 {
		t := tensor.New(tensor.Float64, shape...)
		for i, v := range a.F {
			t.F64[i] = float64(v)
		}
		return t
	}
	return tensor.FromFloat32(append([]float32(nil), a.F...), shape...)
}

// softmaxRows returns softmax over each of the n rows of k values.
func softmaxRows(a *nd.Array, n, k int) *nd.Array {
	y := nd.NewF(n, k)
	for r := 0; r < n; r++ {
		row, dst := a.F[r*k:(r+1)*k], y.F[r*k:(r+1)*k]
		m := float32(math.Inf(-1))
		for _, v := range row {
			m = max(m, v)
		}
		var s float64
		for j, v := range row {
			e := math.Exp(float64(v - m))
			dst[j] = float32(e)
			s += e
		}
		for j := range dst {
			dst[j] = float32(float64(dst[j]) / s)
		}
	}
	return y
}
