package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/arthost/arthost/plugins/onnx/internal/graph"
	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
	"github.com/arthost/arthost/plugins/onnx/internal/ops"
	"github.com/arthost/arthost/sdk"
)

// Save writes the model, with its current (possibly trained) weights, as
// an ONNX file at path. The file is written next to path and renamed into
// place, so a failed Save never leaves a truncated model.
func (e *estimator) Save(ctx context.Context, path string) error {
	if !e.ready {
		return sdk.FailedPreconditionf("onnx save: no model loaded")
	}
	if path == "" {
		return sdk.InvalidArgumentf("onnx save: empty path")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(withWeights(e.m.g))
	if err != nil {
		return fmt.Errorf("onnx save: encode: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return sdk.InvalidArgumentf("onnx save %s: %v", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("onnx save %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("onnx save %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("onnx save %s: %w", path, err)
	}
	return nil
}

// withWeights returns a copy of g's model whose float initializers hold
// g's current constants (as raw little-endian data).
func withWeights(g *graph.Model) *onnxpb.ModelProto {
	mp := proto.Clone(g.Proto).(*onnxpb.ModelProto)
	for _, t := range mp.GetGraph().GetInitializer() {
		s, ok := g.Slot(t.GetName())
		if !ok || t.GetDataType() != int32(onnxpb.TensorProto_FLOAT) {
			continue
		}
		c := g.Consts[s]
		if c == nil || c.DType != nd.Float32 {
			continue
		}
		raw := make([]byte, 4*len(c.F))
		for i, v := range c.F {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		t.RawData, t.FloatData = raw, nil
		t.DataLocation, t.ExternalData = nil, nil
	}
	return mp
}

// reloadWeights rebuilds g from its model with the current constants, so
// kernels pack the new weights again (predictions after Fit run as fast
// as after Load), and pins the values the estimator reads.
func reloadWeights(g *graph.Model, reg *ops.Registry, pins ...string) (*graph.Model, error) {
	ng, err := graph.FromProto(withWeights(g), reg)
	if err != nil {
		return nil, err
	}
	for _, p := range pins {
		if p != "" && !ng.Pin(p) {
			return nil, fmt.Errorf("value %q missing after reload", p)
		}
	}
	return ng, nil
}

var _ sdk.Saver = (*estimator)(nil)
