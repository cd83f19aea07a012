// Package testutil holds helpers the ONNX plugin's tests share: reading
// .npy and TensorProto fixtures and numpy-style closeness checks.
package testutil

import (
	"fmt"
	"math"
	"os"

	"codeberg.org/sbinet/npyio"
	"google.golang.org/protobuf/proto"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
)

// ReadNPY reads a float32 .npy file.
func ReadNPY(path string) (*nd.Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := npyio.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var v []float32
	if err := r.Read(&v); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	shape := append([]int(nil), r.Header.Descr.Shape...)
	if len(v) != nd.Size(shape) {
		return nil, fmt.Errorf("read %s: %d values for shape %v", path, len(v), shape)
	}
	return nd.FromF(v, shape...), nil
}

// ReadTensorPB reads a serialized TensorProto file.
func ReadTensorPB(path string) (*nd.Array, *onnxpb.TensorProto, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	t := &onnxpb.TensorProto{}
	if err := proto.Unmarshal(b, t); err != nil {
		return nil, nil, fmt.Errorf("parse %s: %w", path, err)
	}
	a, err := nd.FromProto(t)
	return a, t, err
}

// AllClose reports the first element where |got - want| > atol +
// rtol*|want| (numpy allclose; NaN equals NaN), or nil. Integer arrays
// must match exactly.
func AllClose(got, want *nd.Array, rtol, atol float64) error {
	if got == nil {
		return fmt.Errorf("no value")
	}
	if !nd.EqualShape(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	if (got.DType == nd.Float32) != (want.DType == nd.Float32) {
		return fmt.Errorf("dtype %s, want %s", got.DType, want.DType)
	}
	worst, at := 0.0, -1
	for i := 0; i < want.Len(); i++ {
		g, w := got.Float(i), want.Float(i)
		if math.IsNaN(w) && math.IsNaN(g) {
			continue
		}
		if math.IsInf(w, 0) && g == w {
			continue
		}
		d := math.Abs(g - w)
		if !(d <= atol+rtol*math.Abs(w)) {
			if at < 0 || d > worst || math.IsNaN(d) {
				worst, at = d, i
			}
		}
	}
	if at >= 0 {
		return fmt.Errorf("element %d: got %g, want %g (|diff| %g > atol %g + rtol %g*|want|)", at, got.Float(at), want.Float(at), worst, atol, rtol)
	}
	return nil
}

// MaxAbsDiff returns max |got - want| over equal-shaped float arrays.
func MaxAbsDiff(got, want *nd.Array) float64 {
	m := 0.0
	for i := 0; i < want.Len() && i < got.Len(); i++ {
		m = math.Max(m, math.Abs(got.Float(i)-want.Float(i)))
	}
	return m
}
