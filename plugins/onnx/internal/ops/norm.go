package ops

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

func normDefs() []*Def {
	return []*Def{
		{Op: "BatchNormalization", Build: buildBatchNorm},
		{Op: "InstanceNormalization", Build: func(n *Node) (Kernel, error) {
			return &InstanceNormKernel{n: n, Epsilon: n.Attrs.Float("epsilon", 1e-5)}, n.Attrs.Err()
		}},
		{Op: "LayerNormalization", MinOpset: 17, Build: func(n *Node) (Kernel, error) {
			return &LayerNormKernel{n: n, Axis: n.Attrs.Int("axis", -1), Epsilon: n.Attrs.Float("epsilon", 1e-5)}, n.Attrs.Err()
		}},
	}
}

// BatchNormKernel is inference-mode batch normalisation:
// y = scale * (x - mean) / sqrt(var + epsilon) + B per channel (axis 1).
// Training mode (statistics from the batch) is part of Fit, not predict.
type BatchNormKernel struct {
	n       *Node
	Epsilon float32
	// Spatial=false (opsets < 9) normalises per (C, D1, ...) element.
	Spatial bool
}

func buildBatchNorm(n *Node) (Kernel, error) {
	k := &BatchNormKernel{n: n, Epsilon: n.Attrs.Float("epsilon", 1e-5), Spatial: true}
	if n.Opset < 9 {
		k.Spatial = n.Attrs.Int("spatial", 1) != 0
	}
	if n.Attrs.Int("training_mode", 0) != 0 {
		return nil, n.Errorf("training_mode=1 is not supported for inference")
	}
	if n.Opset < 7 && n.Attrs.Int("is_test", 0) == 0 {
		// Old exporters set is_test=1 for inference graphs; without it the
		// node would compute batch statistics.
		return nil, n.Errorf("is_test=0 (training mode) is not supported")
	}
	return k, n.Attrs.Err()
}

// Forward normalises with the running statistics.
func (k *BatchNormKernel) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
	x := in[0]
	if x == nil || x.DType != nd.Float32 || x.Rank() < 2 {
		return nil, k.n.Errorf("X must be a float tensor of rank >= 2, got %s %v", dtypeOf(x), shapeOf(x))
	}
	c := x.Shape[1]
	per := c
	if !k.Spatial {
		per = nd.Size(x.Shape[1:])
	}
	for i := 1; i <= 4; i++ {
		if i >= len(in) || in[i] == nil || in[i].DType != nd.Float32 || in[i].Len() != per {
			return nil, k.n.Errorf("input %d must be a float tensor of %d values, got %v", i, per, shapeOf(at(in, i)))
		}
	}
	scale, bias := make([]float32, per), make([]float32, per)
	for i := 0; i < per; i++ {
		s := float64(in[1].F[i]) / math.Sqrt(float64(in[4].F[i])+float64(k.Epsilon))
		scale[i] = float32(s)
		bias[i] = float32(float64(in[2].F[i]) - float64(in[3].F[i])*s)
	}
	y := ctx.newOut(append([]int(nil), x.Shape...)...)
	inner := nd.Size(x.Shape[2:])
	if !k.Spatial {
		inner = 1
	}
	nb := x.Shape[0]
	for s := 0; s < nb; s++ {
		for ch := 0; ch < per; ch++ {
			off := (s*per + ch) * inner
			src, dst := x.F[off:off+inner], y.F[off:off+inner]
			a, b := scale[ch], bias[ch]
			for i, v := range src {
				dst[i] = v*a + b
			}
		}
	}
	return []*nd.Array{y}, nil
}

func at(in []*nd.Array, i int) *nd.Array {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// InstanceNormKernel normalises each (sample, channel) plane by its own
// mean and variance, then applies per-channel scale and bias.
type InstanceNormKernel struct {
	n       *Node
	Epsilon float32
}

// Forward normalises every plane in float64 accumulators.
func (k *InstanceNormKernel) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
	x := in[0]
	if x == nil || x.DType != nd.Float32 || x.Rank() < 3 {
		return nil, k.n.Errorf("X must be a float tensor of rank >= 3, got %s %v", dtypeOf(x), shapeOf(x))
	}
	c := x.Shape[1]
	if at(in, 1) == nil || at(in, 2) == nil || in[1].Len() != c || in[2].Len() != c {
		return nil, k.n.Errorf("scale and B must have %d values", c)
	}
	size := nd.Size(x.Shape[2:])
	y := nd.NewF(append([]int(nil), x.Shape...)...)
	for pl := 0; pl < x.Shape[0]*c; pl++ {
		src, dst := x.F[pl*size:(pl+1)*size], y.F[pl*size:(pl+1)*size]
		mean, inv := meanInvStd(src, k.Epsilon)
		a, b := float64(in[1].F[pl%c])*inv, float64(in[2].F[pl%c])
		for i, v := range src {
			dst[i] = float32((float64(v)-mean)*a + b)
		}
	}
	return []*nd.Array{y}, nil
}

// meanInvStd returns the mean of v and 1/sqrt(var + eps) (population
// variance), accumulated in float64.
func meanInvStd(v []float32, eps float32) (mean, inv float64) {
	var s float64
	for _, x := range v {
		s += float64(x)
	}
	mean = s / float64(len(v))
	var ss float64
	for _, x := range v {
		d := float64(x) - mean
		ss += d * d
	}
	return mean, 1 / math.Sqrt(ss/float64(len(v))+float64(eps))
}

// LayerNormKernel normalises over the axes from Axis to the end, then
// applies Scale and optional B broadcast over those axes. Optional outputs
// Mean and InvStdDev have the input shape with the normalised axes set to 1.
type LayerNormKernel struct {
	n       *Node
	Axis    int
	Epsilon float32
}

// Forward normalises every row.
func (k *LayerNormKernel) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
	x := in[0]
	if x == nil || x.DType != nd.Float32 || x.Rank() == 0 {
		return nil, k.n.Errorf("X must be a float tensor of rank >= 1")
	}
	axis := k.Axis
	if axis < 0 {
		axis += x.Rank()
	}
	if axis < 0 || axis >= x.Rank() {
		return nil, k.n.Errorf("axis %d out of range for shape %v", k.Axis, x.Shape)
	}
	inner := nd.Size(x.Shape[axis:])
	rows := nd.Size(x.Shape[:axis])
	norm := nd.NewF(append([]int(nil), x.Shape...)...)
	statShape := append([]int(nil), x.Shape...)
	for i := axis; i < len(statShape); i++ {
		statShape[i] = 1
	}
	mean, invStd := nd.NewF(statShape...), nd.NewF(append([]int(nil), statShape...)...)
	for r := 0; r < rows; r++ {
		src, dst := x.F[r*inner:(r+1)*inner], norm.F[r*inner:(r+1)*inner]
		m, inv := meanInvStd(src, k.Epsilon)
		mean.F[r], invStd.F[r] = float32(m), float32(inv)
		for i, v := range src {
			dst[i] = float32((float64(v) - m) * inv)
		}
	}
	scale := at(in, 1)
	if scale == nil {
		return nil, k.n.Errorf("missing Scale")
	}
	fns := binaryFns{f: func(a, b float32) float32 { return a * b }}
	y, err := binary(k.n, norm, scale, fns)
	if err != nil {
		return nil, err
	}
	if b := at(in, 2); b != nil {
		if y, err = binary(k.n, y, b, binaryFns{f: func(a, b float32) float32 { return a + b }}); err != nil {
			return nil, err
		}
	}
	if !nd.EqualShape(y.Shape, x.Shape) {
		return nil, k.n.Errorf("Scale/B shapes %v do not broadcast to %v", scale.Shape, x.Shape)
	}
	return []*nd.Array{y, mean, invStd}[:max(1, min(3, k.n.NumOutputs))], nil
}
