package ops

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

func softmaxDefs() []*Def {
	return []*Def{
		{Op: "Softmax", Build: func(n *Node) (Kernel, error) { return newSoftmax(n, false) }},
		{Op: "LogSoftmax", Build: func(n *Node) (Kernel, error) { return newSoftmax(n, true) }},
	}
}

// SoftmaxKernel is softmax (or log-softmax) along Axis. Before opset 13 the
// input is coerced to 2-D at Axis (default 1) and normalised over the
// flattened trailing block; from 13 on over the single Axis (default -1).
type SoftmaxKernel struct {
	n      *Node
	Axis   int
	Log    bool
	Legacy bool
}

func newSoftmax(n *Node, log bool) (Kernel, error) {
	k := &SoftmaxKernel{n: n, Log: log, Legacy: n.Opset < 13}
	if k.Legacy {
		k.Axis = n.Attrs.Int("axis", 1)
	} else {
		k.Axis = n.Attrs.Int("axis", -1)
	}
	return k, n.Attrs.Err()
}

// Forward normalises rows with the max subtracted for stability.
func (k *SoftmaxKernel) Forward(ctx *Ctx, in []*nd.Array) ([]*nd.Array, error) {
	x := in[0]
	if x == nil || x.DType != nd.Float32 {
		return nil, k.n.Errorf("input must be float")
	}
	r := x.Rank()
	axis := k.Axis
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= max(r, 1) {
		return nil, k.n.Errorf("axis %d out of range for shape %v", k.Axis, x.Shape)
	}
	var outer, length, inner int
	if k.Legacy {
		outer, length, inner = nd.Size(x.Shape[:axis]), nd.Size(x.Shape[axis:]), 1
	} else if r == 0 {
		outer, length, inner = 1, 1, 1
	} else {
		outer, length, inner = nd.Size(x.Shape[:axis]), x.Shape[axis], nd.Size(x.Shape[axis+1:])
	}
	y := nd.NewF(append([]int(nil), x.Shape...)...)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*length*inner + i
			softmaxRow(y.F[base:], x.F[base:], length, inner, k.Log)
		}
	}
	return []*nd.Array{y}, nil
}

// softmaxRow normalises the strided row x[0], x[st], ... of length n.
func softmaxRow(y, x []float32, n, st int, log bool) {
	m := float32(math.Inf(-1))
	for j := 0; j < n; j++ {
		m = max(m, x[j*st])
	}
	var s float64
	for j := 0; j < n; j++ {
		e := math.Exp(float64(x[j*st] - m))
		s += e
		if !log {
			y[j*st] = float32(e)
		}
	}
	if log {
		ls := float32(math.Log(s))
		for j := 0; j < n; j++ {
			y[j*st] = x[j*st] - m - ls
		}
		return
	}
	inv := 1 / s
	for j := 0; j < n; j++ {
		y[j*st] = float32(float64(y[j*st]) * inv)
	}
}
