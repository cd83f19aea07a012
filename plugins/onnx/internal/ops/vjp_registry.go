package ops

import (
	"fmt"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
)

// Bound pairs a compiled kernel with the node it was built from. The
// autodiff driver passes a Bound as the k of every VJP call, so backward
// rules of kernels built from closures (elementwise ops, shape ops) can
// read the node's attributes and opset.
type Bound struct {
	Kernel
	Node *Node
}

// unbind returns the kernel inside a Bound, or k itself.
func unbind(k Kernel) Kernel {
	if b, ok := k.(Bound); ok {
		return b.Kernel
	}
	if b, ok := k.(*Bound); ok && b != nil {
		return b.Kernel
	}
	return k
}

// nodeOf returns the node of a Bound kernel, or of a kernel type that
// keeps its node; nil when unknown.
func nodeOf(k Kernel) *Node {
	switch k := k.(type) {
	case Bound:
		return k.Node
	case *Bound:
		if k != nil {
			return k.Node
		}
	}
	switch k := unbind(k).(type) {
	case *GemmKernel:
		return k.n
	case *MatMulKernel:
		return k.n
	case *ConvKernel:
		return k.n
	case *ConvTransposeKernel:
		return k.n
	case *PoolKernel:
		return k.n
	case *GlobalPoolKernel:
		return k.n
	case *BatchNormKernel:
		return k.n
	case *InstanceNormKernel:
		return k.n
	case *LayerNormKernel:
		return k.n
	case *SoftmaxKernel:
		return k.n
	case *ReduceKernel:
		return k.n
	case *PadKernel:
		return k.n
	case *ResizeKernel:
		return k.n
	}
	return nil
}

// needNode returns the node of k or an error saying the VJP of op was
// called without one (the autodiff driver always binds it).
func needNode(k Kernel, op string) (*Node, error) {
	if n := nodeOf(k); n != nil {
		return n, nil
	}
	return nil, fmt.Errorf("%s vjp: kernel is not bound to its node", op)
}

// RegisterVJPs installs the backward rule of every differentiable op in r
// and marks the others with the reason they have no gradient. Ops r does
// not know are ignored, so a registry extended or trimmed by a caller
// still works.
func RegisterVJPs(r *Registry) {
	for op, v := range vjpTable() {
		if d, ok := r.defs[op]; ok && d.NoGrad == "" {
			d.VJP = v
		}
	}
	for op, why := range noGradTable() {
		if d, ok := r.defs[op]; ok && d.VJP == nil {
			d.NoGrad = why
		}
	}
}

// vjpTable lists the backward rule of each differentiable op.
func vjpTable() map[string]VJP {
	return map[string]VJP{
		// elementwise_vjp.go
		"Relu": vjpRelu, "LeakyRelu": vjpLeakyRelu, "Sigmoid": vjpSigmoid, "Tanh": vjpTanh,
		"Exp": vjpExp, "Log": vjpLog, "Sqrt": vjpSqrt, "Erf": vjpErf, "Softplus": vjpSoftplus,
		"Neg": vjpNeg, "Abs": vjpAbs, "Elu": vjpElu, "Selu": vjpSelu, "HardSigmoid": vjpHardSigmoid,
		"HardSwish": vjpHardSwish, "Identity": vjpPass, "Dropout": vjpPass, "Clip": vjpClip,
		// binary_vjp.go
		"Add": vjpAdd, "Sub": vjpSub, "Mul": vjpMul, "Div": vjpDiv, "Pow": vjpPow,
		"PRelu": vjpPRelu, "Max": vjpMaxMin, "Min": vjpMaxMin, "Where": vjpWhere,
		// gemm_vjp.go
		"Gemm": vjpGemm, "MatMul": vjpMatMul,
		// conv_vjp.go
		"Conv": vjpConv, "ConvTranspose": vjpConvTranspose,
		// pool_vjp.go
		"MaxPool": vjpPool, "AveragePool": vjpPool, "GlobalAveragePool": vjpGlobalPool, "GlobalMaxPool": vjpGlobalPool,
		// norm_vjp.go
		"BatchNormalization": vjpBatchNorm, "InstanceNormalization": vjpInstanceNorm, "LayerNormalization": vjpLayerNorm,
		// softmax_vjp.go
		"Softmax": vjpSoftmax, "LogSoftmax": vjpSoftmax,
		// shape_vjp.go
		"Reshape": vjpReshape, "Flatten": vjpReshape, "Squeeze": vjpReshape, "Unsqueeze": vjpReshape,
		"Transpose": vjpTranspose, "Concat": vjpConcat, "Split": vjpSplit, "Gather": vjpGather,
		"Expand": vjpExpand, "Cast": vjpCast,
		// reduce_vjp.go
		"ReduceSum": vjpReduce, "ReduceMean": vjpReduce, "ReduceMax": vjpReduce,
		// slice_vjp.go
		"Slice": vjpSlice, "Pad": vjpPad,
		// resize_vjp.go
		"Resize": vjpResize,
	}
}

// noGradTable says why the remaining ops have no gradient.
func noGradTable() map[string]string {
	return map[string]string{
		"Shape":           noGradShape,
		"Equal":           "boolean output",
		"Constant":        "no inputs",
		"ConstantOfShape": "constant output",
	}
}

// grads returns a result slice for the VJP of an op with n inputs.
func grads(n int) []*nd.Array { return make([]*nd.Array, n) }

// needAt reports whether the gradient of input i is requested.
func needAt(need []bool, i int) bool { return i < len(need) && need[i] }
